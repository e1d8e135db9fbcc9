"""The records the pool accepts and returns: what to run, and what happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    """Everything needed to start an execution environment for one function version.

    Environments are reused only for an identical spec (``key``): a new
    ``$LATEST`` code or configuration gives a new key, and the old environments
    retire.
    """

    function_name: str
    version: str  # "$LATEST" or "1", "2", ...
    function_arn: str  # unqualified
    code_dir: Path  # extracted code (read-only for the function)
    code_sha256: str
    revision_id: str  # changes with any code or configuration change
    handler: str
    runtime: str  # e.g. "python3.12", "provided.al2023"
    memory_mb: int = 128
    timeout_s: int = 3
    environment: Mapping[str, str] = field(default_factory=dict)

    key: tuple[str, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.function_name, self.version, self.revision_id))

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


class InvocationResult(NamedTuple):
    """The outcome of one invocation in an environment (a named tuple: one is built on
    every invocation, and a tuple is the cheapest immutable record to build).

    ``function_error`` is None on success, "Unhandled" for an error in user code
    (exception, timeout, crash, out of memory), as in ``X-Amz-Function-Error``.
    """

    request_id: str
    payload: bytes
    function_error: str | None
    executed_version: str
    log_tail: bytes  # last 4 KB of this invocation's log
    duration_ms: float
    max_memory_mb: int
    init_duration_ms: float | None  # set only on the first invoke of an on-demand environment
    cold_start: bool
    error_type: str | None = None  # e.g. "Runtime.ExitError", "Sandbox.Timedout"
    provisioned: bool = False  # ran in a provisioned-concurrency environment


@dataclass(frozen=True, slots=True)
class ProvisionReport:
    """The outcome of ``Pool.set_provisioned``: AWS's ``Status`` and ``StatusReason``."""

    status: str  # "READY" or "FAILED"
    requested: int
    allocated: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PoolStats:
    """Environment counts for metrics and the console."""

    by_state: Mapping[str, int]
    environments: int
    provisioned: int
    cold_starts: int
    warm_starts: int
