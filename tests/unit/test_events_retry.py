"""The retry decision, case by case, against AWS's documentation.

Quotes are from https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
unless marked otherwise.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from turnout.events.config import EventInvokeConfig
from turnout.events.outcome import OutcomeKind
from turnout.events.retry import (
    Condition,
    Decision,
    RetryDelays,
    decide,
    discard_expired,
    expired,
)
from turnout.events.states import EventState

T0 = 1_700_000_000.0
AWS = RetryDelays()
DEFAULT = EventInvokeConfig()
NO_RETRIES = EventInvokeConfig(maximum_retry_attempts=0)
ONE_RETRY = EventInvokeConfig(maximum_retry_attempts=1)
ONE_MINUTE_AGE = EventInvokeConfig(maximum_event_age_seconds=60)

SUCCESS, ERROR = OutcomeKind.SUCCESS, OutcomeKind.FUNCTION_ERROR
THROTTLED, SYSTEM = OutcomeKind.THROTTLED, OutcomeKind.PLATFORM_ERROR


def retry_at(seconds: float) -> Decision:
    return Decision(EventState.RETRY_WAIT, not_before=T0 + seconds)


DONE = Decision(EventState.DONE, condition=Condition.SUCCESS)
EXHAUSTED = Decision(EventState.FAILED, condition=Condition.RETRIES_EXHAUSTED)
TOO_OLD = Decision(EventState.FAILED, condition=Condition.EVENT_AGE_EXCEEDED)

CASES = [
    # (quote, kind, attempts, backoffs, config, age at decision, delays, expected)
    ("a successful run ends the event (on success: 'Send a record when the function "
     "successfully processes an asynchronous invocation')",
     SUCCESS, 1, 0, DEFAULT, 0, AWS, DONE),
    ("success on a retry also ends it", SUCCESS, 3, 0, DEFAULT, 200, AWS, DONE),
    ("'If the function returns an error, by default Lambda attempts to run it two more "
     "times, with a one-minute wait between the first two attempts'",
     ERROR, 1, 0, DEFAULT, 0, AWS, retry_at(60)),
    ("'... and two minutes between the second and third attempts'",
     ERROR, 2, 0, DEFAULT, 60, AWS, retry_at(120)),
    ("after the third attempt the retries are exhausted ('When an event expires or all "
     "processing attempts fail, Lambda discards it')",
     ERROR, 3, 0, DEFAULT, 180, AWS, EXHAUSTED),
    ("MaximumRetryAttempts 0: 'The maximum number of times to retry when the function "
     "returns an error' (API reference) - none", ERROR, 1, 0, NO_RETRIES, 0, AWS, EXHAUSTED),
    ("MaximumRetryAttempts 1: one retry", ERROR, 1, 0, ONE_RETRY, 0, AWS, retry_at(60)),
    ("MaximumRetryAttempts 1: then exhausted", ERROR, 2, 0, ONE_RETRY, 60, AWS, EXHAUSTED),
    ("'For throttling errors (429) ... Lambda returns the event to the queue ... The retry "
     "interval increases exponentially from 1 second after the first attempt'",
     THROTTLED, 0, 1, DEFAULT, 0, AWS, retry_at(1)),
    ("exponential: 2 s after the second throttle", THROTTLED, 0, 2, DEFAULT, 1, AWS,
     retry_at(2)),
    ("exponential: 256 s after the ninth", THROTTLED, 0, 9, DEFAULT, 600, AWS, retry_at(256)),
    ("'... to a maximum of 5 minutes'", THROTTLED, 0, 10, DEFAULT, 900, AWS, retry_at(300)),
    ("still at most 5 minutes much later", THROTTLED, 0, 40, DEFAULT, 9000, AWS,
     retry_at(300)),
    ("'and system errors (500-series)' are retried the same way", SYSTEM, 0, 1, DEFAULT, 0,
     AWS, retry_at(1)),
    ("throttles do not use up MaximumRetryAttempts", THROTTLED, 3, 1, NO_RETRIES, 0, AWS,
     retry_at(1)),
    ("'attempts to run the function again for up to 6 hours by default': a throttle whose "
     "backoff would pass six hours discards the event", THROTTLED, 0, 10, DEFAULT,
     21600 - 100, AWS, TOO_OLD),
    ("MaximumEventAgeInSeconds: 'The maximum age of a request that Lambda sends to a function "
     "for processing' (API reference): a function-error retry due after it is discarded",
     ERROR, 1, 0, ONE_MINUTE_AGE, 10, AWS, TOO_OLD),
    ("a retry exactly at the maximum age is still allowed", ERROR, 1, 0, ONE_MINUTE_AGE, 0,
     AWS, retry_at(60)),
    ("async_retry_delay_scale shortens the one-minute wait", ERROR, 1, 0, DEFAULT, 0,
     RetryDelays(scale=0.001), retry_at(0.06)),
    ("async_retry_delay_scale shortens the two-minute wait", ERROR, 2, 0, DEFAULT, 0,
     RetryDelays(scale=0.001), retry_at(0.12)),
    ("async_retry_delay_scale shortens throttle backoff", THROTTLED, 0, 3, DEFAULT, 0,
     RetryDelays(scale=0.5), retry_at(2)),
]


@pytest.mark.parametrize(("quote", "kind", "attempts", "backoffs", "config", "age", "delays",
                          "expected"), CASES, ids=[case[0][:60] for case in CASES])
def test_decision_follows_aws(quote: str, kind: OutcomeKind, attempts: int, backoffs: int,
                              config: EventInvokeConfig, age: float, delays: RetryDelays,
                              expected: Decision) -> None:
    decision = decide(kind, attempts, backoffs, config, received_at=T0 - age, now=T0,
                      delays=delays)
    assert decision.state == expected.state, quote
    assert decision.condition == expected.condition, quote
    if expected.not_before is None:
        assert decision.not_before is None
    else:
        assert decision.not_before == pytest.approx(expected.not_before)


@pytest.mark.parametrize(("age", "maximum", "is_expired"), [
    (0, 60, False), (60, 60, False), (60.5, 60, True), (21600, 21600, False),
    (21601, 21600, True),
])
def test_event_older_than_maximum_age_expires(age: float, maximum: int,
                                              is_expired: bool) -> None:
    config = EventInvokeConfig(maximum_event_age_seconds=maximum)
    assert expired(T0 - age, T0, config) is is_expired


def test_discarding_an_expired_event_reports_event_age_exceeded() -> None:
    assert discard_expired() == TOO_OLD
    assert discard_expired().final


def test_config_from_api_members_and_defaults() -> None:
    assert EventInvokeConfig.from_api(None) == EventInvokeConfig(2, 21600, None, None, None)
    config = EventInvokeConfig.from_api({
        "MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": "arn:aws:sqs:x"}},
    }, dead_letter_arn="arn:aws:sns:y")
    assert config == EventInvokeConfig(0, 60, None, "arn:aws:sqs:x", "arn:aws:sns:y")


@given(kind=st.sampled_from(list(OutcomeKind)), attempts=st.integers(0, 5),
       backoffs=st.integers(0, 60), retries=st.integers(0, 2),
       max_age=st.integers(60, 21600), age=st.floats(0, 30000),
       scale=st.floats(0.001, 1.0))
def test_decision_invariants(kind: OutcomeKind, attempts: int, backoffs: int, retries: int,
                             max_age: int, age: float, scale: float) -> None:
    config = EventInvokeConfig(maximum_retry_attempts=retries, maximum_event_age_seconds=max_age)
    decision = decide(kind, attempts, backoffs, config, received_at=T0 - age, now=T0,
                      delays=RetryDelays(scale=scale))
    if kind is OutcomeKind.SUCCESS:
        assert decision == DONE
    elif decision.state is EventState.RETRY_WAIT:
        assert decision.not_before is not None and decision.condition is None
        assert T0 < decision.not_before <= T0 - age + max_age + 1e-6  # never once too old
        assert decision.not_before - T0 <= 300 * scale + 1e-6 or kind is OutcomeKind.FUNCTION_ERROR
        assert kind is not OutcomeKind.FUNCTION_ERROR or attempts <= retries
    else:
        assert decision.state is EventState.FAILED
        if decision.condition is Condition.RETRIES_EXHAUSTED:
            assert kind is OutcomeKind.FUNCTION_ERROR and attempts > retries
        else:
            assert decision.condition is Condition.EVENT_AGE_EXCEEDED
