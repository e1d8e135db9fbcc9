"""One invocation from start to finish: resolve → route → admit → run → observe.

Synchronous ``Invoke`` calls and the asynchronous consumers both go through
``Invoker.run``, so routing, concurrency and metrics are the same for both.
Nothing here awaits between an admission check and the lease it takes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from turnout.arns import function_arn, parse_function_name, resolve_qualifier
from turnout.errors import LambdaError, ResourceNotFound
from turnout.invoke.admission import ConcurrencyLedger
from turnout.invoke.routing import LATEST, AliasRoute, Target, route
from turnout.models import AliasRecord, VersionRecord
from turnout.observe.metrics import Metrics, Series
from turnout.pool.pool import Pool
from turnout.pool.spec import EnvironmentSpec, InvocationResult
from turnout.settings import Settings
from turnout.store.registry import Registry


@dataclass(frozen=True, slots=True)
class Resolved:
    """A ``FunctionName``/``Qualifier`` pair checked against the registry."""

    function_name: str
    qualifier: str | None  # None: unqualified ($LATEST)
    alias: AliasRecord | None

    @property
    def provisioned_owner(self) -> str | None:
        return f"{self.function_name}:{self.qualifier}" if self.qualifier not in (None, LATEST) \
            else None


class Invoker:
    def __init__(self, settings: Settings, registry: Registry, code_dir: Callable[[str], Path],
                 ledger: ConcurrencyLedger, pool: Pool, metrics: Metrics,
                 rng: random.Random | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self.code_dir = code_dir
        self.ledger = ledger
        self.pool = pool
        self.metrics = metrics
        self.rng = rng or random.Random()
        self._specs: dict[tuple[str, str, str], EnvironmentSpec] = {}

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.settings.region, self.settings.account_id, name, qualifier)

    def resolve(self, function_name: str, qualifier: str | None) -> Resolved:
        """Check that the function and its qualifier exist, as AWS does before running."""
        ref = parse_function_name(function_name)
        name, qualifier = resolve_qualifier(ref, qualifier, self.settings.account_id,
                                            self.settings.region)
        if self.registry.function(name) is None:
            raise ResourceNotFound(f"Function not found: {self.arn(name, qualifier)}")
        if qualifier is None or qualifier == LATEST or qualifier.isdigit():
            if self.registry.version(name, qualifier or LATEST) is None:
                raise ResourceNotFound(f"Function not found: {self.arn(name, qualifier)}")
            return Resolved(name, qualifier, None)
        alias = self.registry.alias(name, qualifier)
        if alias is None:
            raise ResourceNotFound(f"Function not found: {self.arn(name, qualifier)}")
        return Resolved(name, qualifier, alias)

    def target(self, resolved: Resolved, routing_key: str | None) -> Target:
        alias = resolved.alias
        alias_route = AliasRoute(alias.function_version, alias.weights) if alias else None
        return route(resolved.function_name, resolved.qualifier, alias_route, self.rng.random(),
                     routing_key)

    @staticmethod
    def revision_of(version: VersionRecord) -> str:
        """What environments of a version are keyed by: its code and configuration only, so
        that publishing (which gives $LATEST a new RevisionId) keeps warm environments."""
        return hashlib.blake2b(repr(version.fingerprint()).encode(), digest_size=12).hexdigest()

    def spec_for(self, version: VersionRecord) -> EnvironmentSpec:
        key = (version.function_name, version.version, version.revision_id)
        spec = self._specs.get(key)
        if spec is None:
            spec = EnvironmentSpec(
                function_name=version.function_name, version=version.version,
                function_arn=self.arn(version.function_name),
                code_dir=self.code_dir(version.code_sha256), code_sha256=version.code_sha256,
                revision_id=self.revision_of(version), handler=version.handler,
                runtime=version.runtime, memory_mb=version.memory_size,
                timeout_s=version.timeout, environment=dict(version.environment))
            self._specs[key] = spec
        return spec

    def forget(self, function_name: str) -> None:
        """Drop cached specs of a function (its $LATEST changed or it was deleted)."""
        for key in [k for k in self._specs if k[0] == function_name]:
            del self._specs[key]

    async def run(self, resolved: Resolved, payload: bytes, *, request_id: str,
                  client_context: str | None = None, routing_key: str | None = None,
                  ) -> InvocationResult:
        """Route, take concurrency, run in an environment; raise TooManyRequests when full."""
        target = self.target(resolved, routing_key)
        version = self.registry.version(target.function_name, target.executed_version)
        if version is None:  # deleted between resolve and run (async events)
            raise ResourceNotFound(
                f"Function not found: {self.arn(target.function_name, target.executed_version)}")
        series = Series(target.function_name, target.resource, target.executed_version)
        owner = resolved.provisioned_owner
        alias = resolved.alias
        if alias is not None and target.executed_version != alias.function_version:
            owner = None  # provisioned environments serve the alias's primary version
        try:
            lease = self.ledger.acquire_nowait(target.function_name, owner)
        except LambdaError:
            self.metrics.throttled(series)
            raise
        try:
            self.metrics.started(series, provisioned=lease.provisioned, spillover=lease.spillover)
            result = await self.pool.invoke(
                self.spec_for(version), payload, request_id=request_id,
                invoked_arn=self.arn(target.function_name, target.qualifier),
                client_context=client_context,
                provisioned_owner=owner if lease.provisioned else None)
        finally:
            lease.release()
        self.metrics.finished(series, duration_ms=result.duration_ms,
                              error=result.function_error is not None,
                              provisioned=lease.provisioned,
                              init_duration_ms=result.init_duration_ms)
        return result
