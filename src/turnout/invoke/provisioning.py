"""Provisioned concurrency at run time: keeps the ledger and the pool in step with the configs.

The control plane stores what was asked for (``ProvisionedConfig``: a qualifier
and a count). For every config the ``Provisioner`` keeps that many initialised
environments of the version the qualifier designates (for an alias, its
primary version), under the *owner* ``"function:qualifier"``, and gives the
concurrency ledger as many provisioned slots of that owner as there are ready
environments, never more: a slot without a ready environment would promise a
warm start that cannot happen.

Each change is judged by ``decide`` (pure): nothing to do, provision (a new
config, a new count, or an alias that now points at another version), or
release. Slots that can no longer be honoured are withdrawn at once, in the
change listener; new environments are started by a job per owner in the
provisioner's task group, and their slots appear when the pool reports them
ready. The pool keeps an owner's environments per version, so re-pointing an
alias first prepares the new version's environments (``prepare``, awaited by the
control plane before the switch), then moves the slots to them and retires the
old ones: the burst recipe, with no cold start after the switch.

Status is kept in memory, as AWS reports it: ``IN_PROGRESS`` while environments
start (also after a restart, until they are ready again), then ``READY``, or
``FAILED`` with the Init error as ``StatusReason``.

Which owner's slots an invocation may use (``provisioned_owner``): an alias's
config serves invocations of the alias that run its primary version; a
version's config serves every invocation that runs that version, through an
alias or not (this is what makes "pre-warm a version, then point the alias at
it" free of cold starts).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from turnout.invoke.admission import ConcurrencyLedger
from turnout.models import AliasRecord, Change, FunctionEntry, VersionRecord
from turnout.pool.spec import EnvironmentSpec, ProvisionReport
from turnout.store.registry import Registry

log = logging.getLogger(__name__)

IN_PROGRESS = "IN_PROGRESS"
READY = "READY"
FAILED = "FAILED"


class ProvisioningPool(Protocol):
    """The part of the execution pool the provisioner drives."""

    async def set_provisioned(self, owner: str, spec: EnvironmentSpec, count: int,
                              ) -> ProvisionReport: ...


def owner_name(function_name: str, qualifier: str) -> str:
    """The ledger's owner of a config: ``"function:qualifier"``."""
    return f"{function_name}:{qualifier}"


def pool_owner(owner: str, version: str) -> str:
    """The pool's group of an owner's environments of one version: ``"function:qualifier@3"``."""
    return f"{owner}@{version}"


def provisioned_owner(entry: FunctionEntry, qualifier: str | None,
                      executed_version: str) -> str | None:
    """The owner whose provisioned slots an invocation through ``qualifier`` that runs
    ``executed_version`` may use, or None (on-demand only)."""
    name = entry.function.name
    alias = entry.aliases.get(qualifier) if qualifier is not None else None
    if alias is not None and qualifier in entry.provisioned \
            and alias.function_version == executed_version:
        return owner_name(name, alias.name)
    if executed_version in entry.provisioned:
        return owner_name(name, executed_version)
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """What an owner should have: ``count`` ready environments of ``version``.

    ``stamp`` is the config's ``LastModified``: putting the same count again
    provisions again (a ``FAILED`` config is retried that way).
    """

    version: str
    count: int
    stamp: str


@dataclass(frozen=True, slots=True)
class Held:
    """What an owner has, as ``GetProvisionedConcurrencyConfig`` reports it."""

    target: Target
    status: str
    allocated: int  # ready environments of target.version
    reason: str | None = None


def targets(entry: FunctionEntry) -> dict[str, Target]:
    """Every owner of the function and its target, from the stored configs."""
    found: dict[str, Target] = {}
    for qualifier, config in entry.provisioned.items():
        alias = entry.aliases.get(qualifier)
        version = alias.function_version if alias is not None else qualifier
        found[owner_name(entry.function.name, qualifier)] = Target(
            version, config.requested, config.last_modified)
    return found


class Kind(enum.Enum):
    KEEP = "keep"  # nothing to do (settled, or a job is already on its way there)
    PROVISION = "provision"  # start/retire environments until the target is met
    RELEASE = "release"  # the config is gone: withdraw slots, retire environments


@dataclass(frozen=True, slots=True)
class Step:
    kind: Kind
    slots_now: int  # provisioned slots the ledger may offer until the pool reports back


def decide(target: Target | None, held: Held | None, ready: int) -> Step:
    """What to do for one owner when its config, its alias or the function changed.

    ``ready`` is how many environments of ``target.version`` the owner already
    has (e.g. prepared before its alias was re-pointed).
    """
    if target is None:
        return Step(Kind.RELEASE, 0) if held is not None else Step(Kind.KEEP, 0)
    if held is not None and held.target == target:
        return Step(Kind.KEEP, held.allocated)
    return Step(Kind.PROVISION, min(ready, target.count))


class Provisioner:
    """Owned by the platform: ``run()`` is a named task of its task group, ``on_change``
    is subscribed to the control plane's changes, and ``prepare`` runs before an alias
    with provisioned concurrency is re-pointed.

    The pool keeps an owner's environments per version (``pool_owner``), so the
    new version's environments can start while the old ones still serve.
    """

    def __init__(self, registry: Registry, ledger: ConcurrencyLedger, pool: ProvisioningPool,
                 spec_for: Callable[[VersionRecord], EnvironmentSpec]) -> None:
        self._registry = registry
        self._ledger = ledger
        self._pool = pool
        self._spec_for = spec_for
        self._held: dict[str, Held] = {}
        self._owners: dict[str, str] = {}  # owner → function name, while it holds anything
        # owner → version → (spec, environments the pool last reported ready)
        self._groups: dict[str, dict[str, tuple[EnvironmentSpec, int]]] = {}
        self._pending: set[str] = set()  # owners whose job must (re)consider their target
        self._running: set[str] = set()  # owners with a job
        self._preparing: set[tuple[str, str]] = set()  # (owner, version) being prepared
        self._wake = asyncio.Event()

    # -- views ----------------------------------------------------------------------------

    def status(self, function_name: str, qualifier: str) -> Held | None:
        return self._held.get(owner_name(function_name, qualifier))

    @property
    def settled(self) -> bool:
        """No environment is being started or retired for any config."""
        return not self._pending and not self._running

    # -- changes --------------------------------------------------------------------------

    def load(self) -> None:
        """Take every stored reservation and config in hand (at start-up)."""
        for entry in self._registry.entries():
            self._reconcile(entry.function.name)

    def on_change(self, change: Change) -> None:
        """Control-plane listener: runs right after the change is durable."""
        self._reconcile(change.function_name)

    def _ready(self, owner: str, version: str) -> int:
        return self._groups.get(owner, {}).get(version, (None, 0))[1]

    def _reconcile(self, name: str) -> None:
        entry = self._registry.entry(name)
        if entry is not None:
            self._ledger.set_reserved(name, entry.function.reserved_concurrency)
        wanted = targets(entry) if entry is not None else {}
        owners = set(wanted) | {owner for owner, fn in self._owners.items() if fn == name}
        for owner in sorted(owners):
            target = wanted.get(owner)
            ready = 0 if target is None else self._ready(owner, target.version)
            step = decide(target, self._held.get(owner), ready)
            if step.kind is Kind.KEEP:
                continue
            self._ledger.set_provisioned(owner, name, step.slots_now)
            if target is None:
                self._held.pop(owner, None)
            else:
                self._held[owner] = Held(target, IN_PROGRESS, step.slots_now)
            self._owners[owner] = name
            self._pending.add(owner)
        if entry is None:
            self._ledger.forget(name)
        if self._pending:
            self._wake.set()

    async def prepare(self, current: AliasRecord, proposed: AliasRecord) -> None:
        """Before an alias with provisioned concurrency points at another version, start
        that version's environments, so the switch itself causes no cold start."""
        entry = self._registry.entry(current.function_name)
        config = None if entry is None else entry.provisioned.get(current.name)
        version = self._registry.version(current.function_name, proposed.function_version)
        if config is None or version is None \
                or current.function_version == proposed.function_version:
            return
        owner = owner_name(current.function_name, current.name)
        self._owners.setdefault(owner, current.function_name)
        spec = self._spec_for(version)
        group = (owner, version.version)
        groups = self._groups.setdefault(owner, {})
        groups[version.version] = (spec, min(self._ready(owner, version.version),
                                             config.requested))
        self._preparing.add(group)
        try:
            report = await self._report(pool_owner(owner, version.version), spec,
                                        config.requested)
        finally:
            self._preparing.discard(group)
        groups[version.version] = (spec, report.allocated)
        # Should the alias not switch after all (the update refused), the job retires them.
        self._pending.add(owner)
        self._wake.set()

    # -- the task -------------------------------------------------------------------------

    async def run(self) -> None:
        """Start a job for each owner with work, one at a time per owner, until cancelled."""
        async with asyncio.TaskGroup() as jobs:
            while True:
                await self._wake.wait()
                self._wake.clear()
                for owner in sorted(self._pending - self._running):
                    self._running.add(owner)
                    jobs.create_task(self._job(owner), name=f"provision {owner}")

    async def _job(self, owner: str) -> None:
        try:
            while owner in self._pending:
                self._pending.discard(owner)
                await self._apply(owner)
        finally:
            self._running.discard(owner)

    async def _apply(self, owner: str) -> None:
        """Meet the owner's target in the pool, then retire its other versions' environments."""
        name = self._owners[owner]
        groups = self._groups.setdefault(owner, {})
        held = self._held.get(owner)
        keep = None
        if held is not None:
            version = self._registry.version(name, held.target.version)
            if version is None:  # deleted meanwhile; its config went with it
                return
            keep = version.version
            spec = self._spec_for(version)
            # A smaller target retires the surplus at once: count only what stays.
            groups[keep] = (spec, min(self._ready(owner, keep), held.target.count))
            report = await self._report(pool_owner(owner, keep), spec, held.target.count)
            groups[keep] = (spec, report.allocated)
            if owner in self._pending or self._held.get(owner) != held:
                return  # changed while we waited: the next round decides
            self._ledger.set_provisioned(owner, name, report.allocated)
            self._held[owner] = Held(held.target, report.status, report.allocated, report.reason)
        for other in list(groups):
            if owner in self._pending:
                return  # changed (or prepared) meanwhile: the next round decides
            if other == keep or other == self._wanted(name, owner) \
                    or (owner, other) in self._preparing or other not in groups:
                continue
            spec, _ = groups[other]
            groups[other] = (spec, 0)  # nothing of it may be counted on any more
            await self._report(pool_owner(owner, other), spec, 0)
            if groups.get(other, (None, 0))[1] == 0:
                groups.pop(other, None)
        if not groups and owner not in self._held and owner not in self._pending:
            self._groups.pop(owner, None)
            self._owners.pop(owner, None)

    def _wanted(self, name: str, owner: str) -> str | None:
        """The version the owner's config designates now (the registry may be ahead of
        ``_held`` while a change is being committed)."""
        entry = self._registry.entry(name)
        target = targets(entry).get(owner) if entry is not None else None
        return None if target is None else target.version

    async def _report(self, owner: str, spec: EnvironmentSpec, count: int) -> ProvisionReport:
        try:
            return await self._pool.set_provisioned(owner, spec, count)
        except Exception as error:  # a platform failure: report it, keep the task alive
            log.exception("provisioning %s failed", owner)
            return ProvisionReport(FAILED, count, 0, f"{type(error).__name__}: {error}")


def held_view(held: Held | None, requested: int) -> Mapping[str, object]:
    """The status members of a provisioned-concurrency config response."""
    if held is None:
        held = Held(Target("", requested, ""), IN_PROGRESS, 0)
    view: dict[str, object] = {
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": held.allocated,
        "AllocatedProvisionedConcurrentExecutions": held.allocated,
        "Status": held.status,
    }
    if held.reason:
        view["StatusReason"] = held.reason
    return view
