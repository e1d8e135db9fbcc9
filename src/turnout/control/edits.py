"""Pure edits of a ``FunctionEntry``: each takes the current entry and returns the next one.

Time (as Lambda's timestamp text) and new revision ids are passed in, so each
edit is a plain function of its inputs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from turnout.models import (
    LATEST,
    AliasRecord,
    EventInvokeRecord,
    FunctionEntry,
    FunctionRecord,
    VersionRecord,
    frozen_map,
)

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class ConfigUpdate:
    """Settings given in CreateFunction / UpdateFunctionConfiguration; ``None`` = unchanged.

    ``dead_letter_target_arn`` ``""`` removes the dead-letter queue, as in AWS.
    """

    runtime: str | None = None
    handler: str | None = None
    role: str | None = None
    memory_size: int | None = None
    timeout: int | None = None
    description: str | None = None
    environment: Mapping[str, str] | None = None
    dead_letter_target_arn: str | None = None
    tracing_mode: str | None = None
    ephemeral_storage_mb: int | None = None
    log_format: str | None = None
    log_group: str | None = None
    application_log_level: str | None = None
    system_log_level: str | None = None

    def changes(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if item.name == "environment":
                value = frozen_map(value)
            elif item.name == "dead_letter_target_arn" and value == "":
                value = None
            values[item.name] = value
        return values


def new_entry(function: FunctionRecord, latest: VersionRecord) -> FunctionEntry:
    return FunctionEntry(function=function, versions=frozen_map({LATEST: latest}),
                         aliases=frozen_map())


def with_latest(entry: FunctionEntry, latest: VersionRecord) -> FunctionEntry:
    return dataclasses.replace(entry, versions=frozen_map({**entry.versions, LATEST: latest}))


def publish(entry: FunctionEntry, description: str | None, now: str, revision_id: str,
            latest_revision_id: str | None = None) -> tuple[FunctionEntry, VersionRecord]:
    """Snapshot ``$LATEST`` as the next version number, or return the last version unchanged.

    "Lambda doesn't publish a version if the function's configuration and code
    haven't changed since the last version"
    (https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html).
    Numbers count from the highest ever published, so a deleted number is never reused.
    A standalone PublishVersion also gives ``$LATEST`` a new revision
    (``latest_revision_id``), as Lambda does; publishing together with a code
    update or a create does not.
    """
    published = entry.published()
    latest = entry.latest
    if published and published[-1].fingerprint() == latest.fingerprint():
        return entry, published[-1]
    number = entry.function.last_version + 1
    version = dataclasses.replace(
        latest, version=str(number), revision_id=revision_id, last_modified=now,
        description=latest.description if description is None else description)
    function = dataclasses.replace(entry.function, last_version=number)
    if latest_revision_id is not None:
        latest = dataclasses.replace(latest, revision_id=latest_revision_id)
    versions = {**entry.versions, LATEST: latest, version.version: version}
    return dataclasses.replace(entry, function=function, versions=frozen_map(versions)), version


def without_version(entry: FunctionEntry, version: str) -> FunctionEntry:
    """The entry without ``version`` and without that version's event-invoke and
    provisioned-concurrency configs."""
    return _without_qualifier_configs(
        dataclasses.replace(entry, versions=_without_key(entry.versions, version)), version)


def with_alias(entry: FunctionEntry, alias: AliasRecord) -> FunctionEntry:
    return dataclasses.replace(entry, aliases=frozen_map({**entry.aliases, alias.name: alias}))


def without_alias(entry: FunctionEntry, name: str) -> FunctionEntry:
    """The entry without the alias ``name`` and without that alias's event-invoke and
    provisioned-concurrency configs."""
    return _without_qualifier_configs(
        dataclasses.replace(entry, aliases=_without_key(entry.aliases, name)), name)


def _without_qualifier_configs(entry: FunctionEntry, qualifier: str) -> FunctionEntry:
    """Configs that belong to a qualifier go with it (AWS deletes them together)."""
    return dataclasses.replace(entry, event_invoke=_without_key(entry.event_invoke, qualifier),
                               provisioned=_without_key(entry.provisioned, qualifier))


def with_event_invoke(entry: FunctionEntry, record: EventInvokeRecord) -> FunctionEntry:
    return dataclasses.replace(
        entry, event_invoke=frozen_map({**entry.event_invoke, record.qualifier: record}))


def without_event_invoke(entry: FunctionEntry, qualifier: str) -> FunctionEntry:
    return dataclasses.replace(entry, event_invoke=_without_key(entry.event_invoke, qualifier))


def _without_key(values: Mapping[str, V], gone: str) -> Mapping[str, V]:
    return frozen_map({key: value for key, value in values.items() if key != gone})


def with_tags(entry: FunctionEntry, add: Mapping[str, str], remove: Iterable[str] = (),
              ) -> FunctionEntry:
    removed = set(remove)
    tags = {key: value for key, value in {**entry.function.tags, **add}.items()
            if key not in removed}
    return dataclasses.replace(
        entry, function=dataclasses.replace(entry.function, tags=frozen_map(tags)))


def aliases_using(entry: FunctionEntry, version: str) -> list[str]:
    """Aliases whose primary or additional version is ``version``, by name."""
    return sorted(alias.name for alias in entry.aliases.values()
                  if alias.function_version == version or version in alias.weights)
