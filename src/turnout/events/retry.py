"""The retry decision for an asynchronous event: a pure function of the outcome and time.

AWS's behaviour (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):

- a function error (an error from the code or the runtime, such as a timeout) is retried
  up to ``MaximumRetryAttempts`` times (default two), "with a one-minute wait between
  the first two attempts, and two minutes between the second and third attempts";
- a throttle (429) or a system error (500-series) returns the event to the queue; "the
  retry interval increases exponentially from 1 second after the first attempt to a
  maximum of 5 minutes", for as long as the event is younger than
  ``MaximumEventAgeInSeconds`` (default six hours);
- "When an event expires or all processing attempts fail, Lambda discards it."

Turnout multiplies every delay by ``Settings.async_retry_delay_scale`` so that local work
and tests need not wait minutes. When the next attempt would start after the event's
maximum age, the event is discarded at once (``EventAgeExceeded``) rather than left
waiting for a moment at which it could only be discarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from turnout.events.config import EventInvokeConfig
from turnout.events.outcome import OutcomeKind
from turnout.events.states import EventState


class Condition(StrEnum):
    """``requestContext.condition`` of a destination record."""

    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"


@dataclass(frozen=True, slots=True)
class RetryDelays:
    """AWS's delays, in seconds, before ``scale`` is applied."""

    function_error: tuple[float, ...] = (60.0, 120.0)
    backoff_first: float = 1.0
    backoff_max: float = 300.0
    scale: float = 1.0

    def after_function_error(self, attempts: int) -> float:
        """Wait after the ``attempts``-th failed run (1 → one minute, 2 → two minutes)."""
        index = min(max(attempts, 1), len(self.function_error)) - 1
        return self.function_error[index] * self.scale

    def after_backoff(self, backoffs: int) -> float:
        """Wait after the ``backoffs``-th consecutive throttle or system error."""
        exponent = min(max(backoffs, 1) - 1, 32)
        return min(self.backoff_first * 2.0**exponent, self.backoff_max) * self.scale


@dataclass(frozen=True, slots=True)
class Decision:
    """The next state of the event; ``not_before`` for a retry, ``condition`` when it ends."""

    state: EventState
    not_before: float | None = None
    condition: Condition | None = None

    @property
    def final(self) -> bool:
        return self.state in (EventState.DONE, EventState.FAILED)


def expired(received_at: float, now: float, config: EventInvokeConfig) -> bool:
    """Is the event older than ``MaximumEventAgeInSeconds``?"""
    return now - received_at > config.maximum_event_age_seconds


def discard_expired() -> Decision:
    return Decision(EventState.FAILED, condition=Condition.EVENT_AGE_EXCEEDED)


def decide(kind: OutcomeKind, attempts: int, backoffs: int, config: EventInvokeConfig,
           received_at: float, now: float, delays: RetryDelays) -> Decision:
    """Decide what happens to an event after an attempt that ended in ``kind``.

    ``attempts`` counts the runs of the function so far, this one included;
    ``backoffs`` the consecutive throttles and system errors, this one included.
    """
    if kind is OutcomeKind.SUCCESS:
        return Decision(EventState.DONE, condition=Condition.SUCCESS)
    if kind is OutcomeKind.FUNCTION_ERROR:
        if attempts > config.maximum_retry_attempts:
            return Decision(EventState.FAILED, condition=Condition.RETRIES_EXHAUSTED)
        wait = delays.after_function_error(attempts)
    else:
        wait = delays.after_backoff(backoffs)
    if expired(received_at, now + wait, config):
        return discard_expired()
    return Decision(EventState.RETRY_WAIT, not_before=now + wait)
