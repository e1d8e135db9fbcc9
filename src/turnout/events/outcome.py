"""What one attempt to run a queued event came to, as the consumer sees it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from turnout.errors import LambdaError, TooManyRequests
from turnout.pool.spec import InvocationResult


class OutcomeKind(StrEnum):
    SUCCESS = "success"
    FUNCTION_ERROR = "function_error"  # exception, timeout, crash, out of memory
    THROTTLED = "throttled"  # 429: no concurrency available
    PLATFORM_ERROR = "platform_error"  # 500-series: the platform failed, not the function

    @property
    def executed(self) -> bool:
        """Did the function run (and so count towards ``approximateInvokeCount``)?"""
        return self in (OutcomeKind.SUCCESS, OutcomeKind.FUNCTION_ERROR)


@dataclass(frozen=True, slots=True)
class InvokeOutcome:
    kind: OutcomeKind
    payload: bytes = b""  # the response, or the error document the runtime produced
    executed_version: str | None = None
    function_error: str | None = None  # "Unhandled" / "Handled", as X-Amz-Function-Error
    error_type: str | None = None
    error_message: str | None = None  # for throttles and platform errors

    @property
    def status_code(self) -> int:
        """The HTTP status of the attempt (``ErrorCode`` of a dead-letter message)."""
        if self.kind is OutcomeKind.THROTTLED:
            return 429
        if self.kind is OutcomeKind.PLATFORM_ERROR:
            return 500
        return 200

    @classmethod
    def from_result(cls, result: InvocationResult) -> InvokeOutcome:
        """An outcome from the pool's record of an invocation that ran."""
        return cls(
            kind=OutcomeKind.FUNCTION_ERROR if result.function_error else OutcomeKind.SUCCESS,
            payload=result.payload,
            executed_version=result.executed_version,
            function_error=result.function_error,
            error_type=result.error_type,
        )

    @classmethod
    def from_error(cls, error: LambdaError) -> InvokeOutcome:
        """An outcome from a platform exception raised before or around the function."""
        kind = OutcomeKind.THROTTLED if isinstance(error, TooManyRequests) else (
            OutcomeKind.PLATFORM_ERROR)
        return cls(kind=kind, error_type=error.shape, error_message=error.message)
