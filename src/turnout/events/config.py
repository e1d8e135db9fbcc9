"""What the consumer needs to know about a function's asynchronous invocation settings.

Fields follow ``PutFunctionEventInvokeConfig`` and the function's ``DeadLetterConfig``
(https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html):
``MaximumRetryAttempts`` 0-2 (default 2), ``MaximumEventAgeInSeconds`` 60-21600
(default 21600, six hours). The API layer validates ranges from botocore's model; this
record trusts its input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21600


@dataclass(frozen=True, slots=True)
class EventInvokeConfig:
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    on_success: str | None = None  # destination ARN
    on_failure: str | None = None  # destination ARN
    dead_letter_arn: str | None = None  # the function's DeadLetterConfig.TargetArn

    @classmethod
    def from_api(cls, members: dict[str, Any] | None,
                 dead_letter_arn: str | None = None) -> EventInvokeConfig:
        """Build from the members of a ``FunctionEventInvokeConfig`` (absent = defaults)."""
        members = members or {}
        destinations = members.get("DestinationConfig") or {}
        return cls(
            maximum_retry_attempts=members.get("MaximumRetryAttempts",
                                               DEFAULT_MAXIMUM_RETRY_ATTEMPTS),
            maximum_event_age_seconds=members.get("MaximumEventAgeInSeconds",
                                                  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS),
            on_success=(destinations.get("OnSuccess") or {}).get("Destination") or None,
            on_failure=(destinations.get("OnFailure") or {}).get("Destination") or None,
            dead_letter_arn=dead_letter_arn or None,
        )
