"""The control plane: the single writer of functions, versions, aliases and tags.

Every write follows the same steps: store any new code (content-addressed,
harmless if unused); then, with no ``await`` in between, check the request
against the in-memory registry and put the next ``FunctionEntry`` in it; then
await the SQLite transaction that makes it durable (on failure the registry
entry is put back); then tell the subscribers. A request returns only after
its change is durable, so anything acknowledged survives ``kill -9``.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

from turnout.arns import FunctionRef, function_arn
from turnout.clock import Clock
from turnout.control import concurrency, edits, event_invoke, rules
from turnout.control.edits import ConfigUpdate
from turnout.control.event_invoke import EventInvokeChange
from turnout.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
    ValidationError,
)
from turnout.events.config import EventInvokeConfig
from turnout.models import (
    LATEST,
    AliasChanged,
    AliasRecord,
    Change,
    CodeOrConfigChanged,
    ConcurrencyChanged,
    EventInvokeRecord,
    FunctionDeleted,
    FunctionEntry,
    FunctionRecord,
    VersionPublished,
    VersionRecord,
    frozen_map,
    lambda_timestamp,
)
from turnout.settings import Settings
from turnout.store import state
from turnout.store.code import CodeArchive, CodeStore
from turnout.store.db import Database
from turnout.store.registry import Registry

log = logging.getLogger(__name__)

Listener = Callable[[Change], None]
AliasPreparer = Callable[[AliasRecord, AliasRecord], Awaitable[None]]


def _new_id() -> str:
    return str(uuid.uuid4())


class Control:
    def __init__(self, settings: Settings, clock: Clock, database: Database, code: CodeStore,
                 registry: Registry, new_id: Callable[[], str] = _new_id) -> None:
        self.settings = settings
        self.clock = clock
        self.registry = registry
        self._database = database
        self._code = code
        self._new_id = new_id
        self._listeners: list[Listener] = []
        self._alias_preparers: list[AliasPreparer] = []

    @classmethod
    async def open(cls, settings: Settings, clock: Clock,
                   new_id: Callable[[], str] = _new_id) -> Control:
        """Open ``data_dir/state.db`` and the code store under ``data_dir/code``."""
        database = Database(settings.data_dir / "state.db", state.SCHEMA)
        await database.open()
        code = CodeStore(settings.data_dir / "code")
        code.open()
        entries = await database.run(state.load_all)
        return cls(settings, clock, database, code, Registry(entries), new_id)

    async def close(self) -> None:
        await self._database.close()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each change once it is durable; returns an unsubscriber."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def code_dir(self, code_sha256: str) -> Path:
        """Extracted code of ``code_sha256`` (base64, as in ``VersionRecord``), read-only."""
        return self._code.code_dir(code_sha256)

    def code_zip_by_hex(self, sha256_hex: str) -> Path:
        """The stored zip of a package named by its hex SHA-256 digest."""
        return self._code.root / f"{sha256_hex}.zip"

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.settings.region, self.settings.account_id, name, qualifier)

    # Reads ---------------------------------------------------------------------------

    def entry(self, name: str, qualifier: str | None = None) -> FunctionEntry:
        """The function ``name`` or ResourceNotFoundException naming what was asked for."""
        found = self.registry.entry(name)
        if found is None:
            raise ResourceNotFound(f"Function not found: {self.arn(name, qualifier)}")
        return found

    def resolve(self, name: str, qualifier: str | None) -> tuple[VersionRecord,
                                                                 AliasRecord | None]:
        """The version a qualifier (none, ``$LATEST``, number or alias) designates."""
        found = self.entry(name, qualifier)
        if qualifier is None:
            return found.latest, None
        version = found.versions.get(qualifier)
        if version is not None:
            return version, None
        alias = found.aliases.get(qualifier)
        if alias is None:
            raise ResourceNotFound(f"Function not found: {self.arn(name, qualifier)}")
        return found.versions[alias.function_version], alias

    def alias(self, name: str, alias: str) -> AliasRecord:
        record = self.entry(name).aliases.get(alias)
        if record is None:
            raise ResourceNotFound(f"Cannot find alias arn: {self.arn(name, alias)}")
        return record

    def account_usage(self) -> tuple[int, int]:
        """(total code size of all versions in bytes, number of functions)."""
        total = sum(version.code_size for entry in self.registry.entries()
                    for version in entry.versions.values())
        return total, len(self.registry)

    # Functions -----------------------------------------------------------------------

    async def create_function(self, name: str, zip_file: bytes, config: ConfigUpdate,
                              architectures: tuple[str, ...] = ("x86_64",),
                              publish: bool = False, tags: Mapping[str, str] | None = None,
                              ) -> VersionRecord:
        """CreateFunction; returns ``$LATEST``, or version 1 when ``publish``."""
        rules.check_function_name(name)
        if config.runtime is None or (config.handler is None
                                      and rules.needs_handler(config.runtime)):
            raise InvalidParameterValue("Runtime and Handler are mandatory parameters for "
                                        "functions created with deployment packages.")
        if config.role is None:
            raise ValidationError("1 validation error detected: Value null at 'role' failed "
                                  "to satisfy constraint: Member must not be null")
        rules.check_role(config.role)
        rules.check_runtime(config.runtime)
        rules.check_tags(tags or {})
        self._check_absent(name)
        archive = await self._code.put(zip_file, "CreateFunction")
        now = lambda_timestamp(self.clock.now())
        latest = VersionRecord(
            function_name=name, version=LATEST, runtime=config.runtime,
            handler=config.handler or "", role=config.role, code_sha256=archive.code_sha256,
            code_size=archive.size, revision_id=self._new_id(), last_modified=now,
            architectures=architectures)
        latest = self._configured(latest, config)
        self._check_absent(name)
        entry = edits.new_entry(FunctionRecord(name=name, created=now, tags=frozen_map(tags)),
                                latest)
        result = latest
        if publish:
            entry, result = edits.publish(entry, None, now, self._new_id())
        await self._commit(name, None, entry)
        return result

    async def update_code(self, name: str, zip_file: bytes,
                          architectures: tuple[str, ...] | None = None, publish: bool = False,
                          revision_id: str | None = None, dry_run: bool = False,
                          ) -> VersionRecord:
        """UpdateFunctionCode; returns the new ``$LATEST`` or, with ``publish``, the version."""
        self.entry(name)
        store = self._code.check if dry_run else self._code.put
        archive: CodeArchive = await store(zip_file, "UpdateFunctionCode")
        entry = self.entry(name)
        rules.check_revision(revision_id, entry.latest.revision_id)
        now = lambda_timestamp(self.clock.now())
        latest = dataclasses.replace(
            entry.latest, code_sha256=archive.code_sha256, code_size=archive.size,
            revision_id=self._new_id(), last_modified=now,
            architectures=architectures or entry.latest.architectures)
        if dry_run:
            return latest
        updated = edits.with_latest(entry, latest)
        result = latest
        if publish:
            updated, result = edits.publish(updated, None, now, self._new_id())
        await self._commit(name, entry, updated)
        return result

    async def update_configuration(self, name: str, config: ConfigUpdate,
                                   revision_id: str | None = None) -> VersionRecord:
        entry = self.entry(name)
        rules.check_revision(revision_id, entry.latest.revision_id)
        if config.role is not None:
            rules.check_role(config.role)
        if config.runtime is not None:
            rules.check_runtime(config.runtime)
        latest = self._configured(entry.latest, config)
        latest = dataclasses.replace(latest, revision_id=self._new_id(),
                                     last_modified=lambda_timestamp(self.clock.now()))
        await self._commit(name, entry, edits.with_latest(entry, latest))
        return latest

    def _check_absent(self, name: str) -> None:
        if self.registry.entry(name) is not None:
            raise ResourceConflict(f"Function already exist: {name}")

    @staticmethod
    def _configured(record: VersionRecord, config: ConfigUpdate) -> VersionRecord:
        updated = dataclasses.replace(record, **config.changes())  # type: ignore[arg-type]
        rules.check_limits(updated.timeout, updated.memory_size, updated.ephemeral_storage_mb)
        rules.check_environment(updated.environment)
        event_invoke.check_dead_letter(updated.dead_letter_target_arn)
        return updated

    async def delete_function(self, name: str, qualifier: str | None = None) -> None:
        """DeleteFunction: the whole function, or one published version."""
        entry = self.entry(name)
        if qualifier is None:
            await self._commit(name, entry, None)
            return
        if qualifier == LATEST:
            raise InvalidParameterValue(
                "$LATEST version cannot be deleted without deleting the function.")
        if not qualifier.isdigit():
            raise InvalidParameterValue("Deletion of aliases is not currently supported.")
        if qualifier not in entry.versions:
            raise ResourceNotFound(f"Function not found: {self.arn(name, qualifier)}")
        users = edits.aliases_using(entry, qualifier)
        if users:
            raise ResourceConflict("Unable to delete version because the following aliases "
                                   f"reference it: [{', '.join(users)}]")
        await self._commit(name, entry, edits.without_version(entry, qualifier))

    # Versions ------------------------------------------------------------------------

    async def publish_version(self, name: str, description: str | None = None,
                              code_sha256: str | None = None, revision_id: str | None = None,
                              ) -> VersionRecord:
        entry = self.entry(name)
        rules.check_code_sha256(code_sha256, entry.latest.code_sha256)
        rules.check_revision(revision_id, entry.latest.revision_id)
        updated, version = edits.publish(entry, description, lambda_timestamp(self.clock.now()),
                                         self._new_id(), latest_revision_id=self._new_id())
        if updated is not entry:
            await self._commit(name, entry, updated)
        return version

    # Aliases -------------------------------------------------------------------------

    async def create_alias(self, name: str, alias: str, function_version: str,
                           description: str = "", weights: Mapping[str, float] | None = None,
                           ) -> AliasRecord:
        rules.check_alias_name(alias)
        entry = self.entry(name)
        record = AliasRecord(function_name=name, name=alias, function_version=function_version,
                             revision_id=self._new_id(), description=description,
                             weights=frozen_map(weights))
        self._check_alias_target(entry, record)
        if alias in entry.aliases:
            raise ResourceConflict(f"Alias already exists: {self.arn(name, alias)}")
        await self._commit(name, entry, edits.with_alias(entry, record))
        return record

    async def update_alias(self, name: str, alias: str, function_version: str | None = None,
                           description: str | None = None,
                           weights: Mapping[str, float] | None = None,
                           revision_id: str | None = None) -> AliasRecord:
        """UpdateAlias; ``weights`` None keeps the routing, ``{}`` removes it."""
        current = self.alias(name, alias)
        entry = self.entry(name)
        rules.check_revision(revision_id, current.revision_id)
        record = dataclasses.replace(
            current, revision_id=self._new_id(),
            function_version=current.function_version if function_version is None
            else function_version,
            description=current.description if description is None else description,
            weights=current.weights if weights is None else frozen_map(weights))
        self._check_alias_target(entry, record)
        if record.function_version != current.function_version and self._alias_preparers:
            for prepare in list(self._alias_preparers):
                await prepare(current, record)
            # Environments may have started meanwhile: judge the request again.
            if self.alias(name, alias) is not current:
                raise ResourceConflict("The operation cannot be performed at this time. An update "
                                       f"is in progress for resource: {self.arn(name, alias)}")
            entry = self.entry(name)
            self._check_alias_target(entry, record)
        await self._commit(name, entry, edits.with_alias(entry, record))
        return record

    def before_alias_switch(self, preparer: AliasPreparer) -> None:
        """Await ``preparer(current, proposed)`` before an alias points at another version
        (the provisioner starts that version's environments)."""
        self._alias_preparers.append(preparer)

    async def delete_alias(self, name: str, alias: str) -> None:
        self.alias(name, alias)
        entry = self.entry(name)
        await self._commit(name, entry, edits.without_alias(entry, alias))

    def _check_alias_target(self, entry: FunctionEntry, record: AliasRecord) -> None:
        name = entry.function.name
        if record.function_version not in entry.versions:
            raise ResourceNotFound(
                f"Function not found: {self.arn(name, record.function_version)}")
        rules.check_routing(record.function_version, record.weights)
        for version in record.weights:
            if version not in entry.versions:
                raise ResourceNotFound(f"Function not found: {self.arn(name, version)}")
        concurrency.check_alias_update(entry, record)

    # Tags ----------------------------------------------------------------------------

    async def tag(self, name: str, tags: Mapping[str, str]) -> None:
        entry = self.entry(name)
        rules.check_tags({**entry.function.tags, **tags})
        await self._commit(name, entry, edits.with_tags(entry, tags))

    async def untag(self, name: str, keys: Iterable[str]) -> None:
        entry = self.entry(name)
        await self._commit(name, entry, edits.with_tags(entry, {}, keys))

    # Asynchronous invocation settings (rules in control/event_invoke.py) ---------------

    def event_invoke_config_for(self, name: str, qualifier: str | None) -> EventInvokeConfig:
        """What an asynchronous event for ``name`` and ``qualifier`` runs under; from
        memory, for the event consumer's hot path."""
        return event_invoke.effective(self.registry.entry(name), qualifier)

    async def put_event_invoke_config(self, name: str, qualifier: str | None,
                                      change: EventInvokeChange, replace: bool = True,
                                      ) -> EventInvokeRecord:
        """PutFunctionEventInvokeConfig (``replace``) or UpdateFunctionEventInvokeConfig."""
        entry = event_invoke.target_entry(self.registry.entry(name), qualifier, change)
        record = event_invoke.next_record(entry, qualifier, change, replace, self.clock.now(),
                                          self.arn, self._is_function)
        await self._commit(name, entry, edits.with_event_invoke(entry, record))
        return record

    async def delete_event_invoke_config(self, name: str, qualifier: str | None) -> None:
        entry = self.registry.entry(name)
        if entry is None or event_invoke.key(qualifier) not in entry.event_invoke:
            raise event_invoke.no_config(self.arn(name, qualifier))
        await self._commit(name, entry,
                           edits.without_event_invoke(entry, event_invoke.key(qualifier)))

    def _is_function(self, ref: FunctionRef) -> bool:
        """Is ``ref`` (parsed from an ARN) a function, version or alias of this platform?"""
        here = (ref.account in (None, self.settings.account_id)
                and ref.region in (None, self.settings.region))
        entry = self.registry.entry(ref.name)
        return here and entry is not None and (
            ref.qualifier is None or ref.qualifier in entry.versions
            or ref.qualifier in entry.aliases)

    # The one write path --------------------------------------------------------------

    async def replace_entry(self, name: str, old: FunctionEntry, new: FunctionEntry) -> None:
        """Commit an edit computed by another control module (``control.concurrency``)
        from ``old``, which must still be the current entry (no ``await`` since reading it)."""
        await self._commit(name, old, new)

    async def _commit(self, name: str, old: FunctionEntry | None,
                      new: FunctionEntry | None) -> None:
        self.registry.replace(name, new)
        try:
            await self._database.run(lambda connection: state.persist(connection, name, new))
        except BaseException:
            if self.registry.entry(name) is new:
                self.registry.replace(name, old)
            raise
        for change in changes_between(name, old, new):
            for listener in list(self._listeners):
                try:
                    listener(change)
                except Exception:
                    log.exception("change listener failed on %s", change)


def changes_between(name: str, old: FunctionEntry | None, new: FunctionEntry | None,
                    ) -> list[Change]:
    """The notifications that describe going from ``old`` to ``new``."""
    if new is None:
        return [FunctionDeleted(name, None)]
    found: list[Change] = []
    if old is not None and old.latest.revision_id != new.latest.revision_id:
        found.append(CodeOrConfigChanged(name, new.latest.revision_id))
    before_versions = old.versions if old else {}
    found += [VersionPublished(name, v) for v in new.versions
              if v not in before_versions and v != LATEST]
    found += [FunctionDeleted(name, v) for v in before_versions if v not in new.versions]
    before_aliases = old.aliases if old else {}
    for alias, record in new.aliases.items():
        if before_aliases.get(alias) != record:
            found.append(AliasChanged(name, alias, record))
    found += [AliasChanged(name, alias, None) for alias in before_aliases
              if alias not in new.aliases]
    if old is not None and (old.provisioned != new.provisioned or old.function.reserved_concurrency
                            != new.function.reserved_concurrency):
        found.append(ConcurrencyChanged(name))
    return found
