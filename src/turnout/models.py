"""Published records of the control plane: functions, versions, aliases, and changes to them.

Every record is frozen. A change to ``$LATEST`` or to an alias is a new record
with a new ``RevisionId``; a published version never changes (DESIGN.md §1.6).
The invoke path reads these records from the in-memory registry
(``turnout.store.registry``), never from SQLite.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

LATEST = "$LATEST"


def frozen_map(values: Mapping[K, V] | None = None) -> Mapping[K, V]:
    """A read-only copy of ``values`` for use inside frozen records."""
    return MappingProxyType(dict(values or {}))


def lambda_timestamp(epoch_seconds: float) -> str:
    """Lambda's ``LastModified`` format, e.g. ``2024-05-01T12:00:00.000+0000``."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def sha256_hex(code_sha256: str) -> str:
    """The hex digest behind Lambda's base64 ``CodeSha256`` (the code store's file name)."""
    return base64.b64decode(code_sha256).hex()


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """``$LATEST`` or one published version: everything needed to run it and to describe it.

    Fields follow ``FunctionConfiguration`` of the Lambda API
    (https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html).
    """

    function_name: str
    version: str  # "$LATEST" or "1", "2", ...
    runtime: str
    handler: str
    role: str
    code_sha256: str  # base64 SHA-256 of the zip, as Lambda shows it
    code_size: int
    revision_id: str
    last_modified: str  # Lambda's timestamp text
    memory_size: int = 128
    timeout: int = 3
    description: str = ""
    environment: Mapping[str, str] = field(default_factory=frozen_map)
    dead_letter_target_arn: str | None = None
    tracing_mode: str = "PassThrough"
    ephemeral_storage_mb: int = 512
    architectures: tuple[str, ...] = ("x86_64",)
    log_format: str = "Text"
    log_group: str | None = None  # None: the default /aws/lambda/<name>
    application_log_level: str | None = None
    system_log_level: str | None = None

    @property
    def is_latest(self) -> bool:
        return self.version == LATEST

    def fingerprint(self) -> tuple[object, ...]:
        """What makes two snapshots the same function for PublishVersion.

        Lambda does not publish a version when code and configuration have not
        changed since the last version; identity fields, timestamps and the
        description (which PublishVersion may override) are left out.
        """
        return (
            self.runtime, self.handler, self.role, self.code_sha256, self.memory_size,
            self.timeout, tuple(sorted(self.environment.items())), self.dead_letter_target_arn,
            self.tracing_mode, self.ephemeral_storage_mb, self.architectures, self.log_format,
            self.log_group, self.application_log_level, self.system_log_level,
        )


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    """Function-level state that is not part of any version."""

    name: str
    created: str
    tags: Mapping[str, str] = field(default_factory=frozen_map)
    last_version: int = 0  # highest number ever published; numbers are never reused
    # PutFunctionConcurrency (None: draws from the unreserved pool).
    reserved_concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """An alias: a primary version and at most one additional weighted version."""

    function_name: str
    name: str
    function_version: str
    revision_id: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=frozen_map)  # AdditionalVersionWeights


@dataclass(frozen=True, slots=True)
class ProvisionedConfig:
    """A ``PutProvisionedConcurrencyConfig`` as stored: what was asked for, and when.

    Its status (IN_PROGRESS, READY, FAILED) and allocated counts are not stored:
    they describe running environments and are recomputed after a restart.
    """

    function_name: str
    qualifier: str  # an alias name or a published version number
    requested: int
    last_modified: str  # e.g. 2019-12-31T20:28:49+0000, as Lambda shows it


@dataclass(frozen=True, slots=True)
class EventInvokeRecord:
    """The asynchronous invocation settings of one qualifier (``$LATEST``, a version or an
    alias), as PutFunctionEventInvokeConfig stored them; ``None`` = not set (the default
    applies). https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
    """

    function_name: str
    qualifier: str
    last_modified: float  # epoch seconds
    maximum_retry_attempts: int | None = None
    maximum_event_age_seconds: int | None = None
    on_success: str | None = None  # destination ARN
    on_failure: str | None = None  # destination ARN


@dataclass(frozen=True, slots=True)
class FunctionEntry:
    """One function with all its versions (``$LATEST`` included) and aliases."""

    function: FunctionRecord
    versions: Mapping[str, VersionRecord]
    aliases: Mapping[str, AliasRecord]
    provisioned: Mapping[str, ProvisionedConfig] = field(default_factory=frozen_map)
    event_invoke: Mapping[str, EventInvokeRecord] = field(default_factory=frozen_map)

    @property
    def latest(self) -> VersionRecord:
        return self.versions[LATEST]

    def published(self) -> list[VersionRecord]:
        """Published versions in ascending number order."""
        numbered = [v for v in self.versions.values() if not v.is_latest]
        return sorted(numbered, key=lambda v: int(v.version))


# Change notifications, delivered after the change is durable.


@dataclass(frozen=True, slots=True)
class CodeOrConfigChanged:
    """``$LATEST`` has new code or configuration: environments of older revisions retire."""

    function_name: str
    revision_id: str


@dataclass(frozen=True, slots=True)
class VersionPublished:
    function_name: str
    version: str


@dataclass(frozen=True, slots=True)
class AliasChanged:
    """An alias was created, updated (``record`` is the new one) or deleted (``None``)."""

    function_name: str
    alias: str
    record: AliasRecord | None


@dataclass(frozen=True, slots=True)
class FunctionDeleted:
    """A whole function (``version`` None) or one published version was deleted."""

    function_name: str
    version: str | None


@dataclass(frozen=True, slots=True)
class ConcurrencyChanged:
    """Reserved concurrency or a provisioned-concurrency config of the function changed."""

    function_name: str


Change = (CodeOrConfigChanged | VersionPublished | AliasChanged | FunctionDeleted
          | ConcurrencyChanged)
