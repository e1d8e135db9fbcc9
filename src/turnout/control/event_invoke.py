"""Lambda's rules for asynchronous invocation settings: event-invoke configs per qualifier
and the function's dead-letter queue, as pure checks and builders.

https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html and
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html.
The model already enforces ranges (``MaximumRetryAttempts`` 0-2,
``MaximumEventAgeInSeconds`` 60-21600) and the destination ARN pattern; these are the
rules on top, with Lambda's messages. The control plane (``Control``) applies them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from turnout.arns import FunctionRef, parse_function_name
from turnout.errors import InvalidParameterValue, LambdaError, ResourceNotFound
from turnout.events.config import (
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    EventInvokeConfig,
)
from turnout.events.sinks import TargetKind, target_kind
from turnout.models import LATEST, EventInvokeRecord, FunctionEntry

NOTHING_TO_SET = "You must specify at least one of error handling or destination setting."
FUNCTION_MISSING = "The function doesn't exist."
SELF_DESTINATION = "You can't specify the function as a destination for itself."

# Where Lambda sends records of asynchronous invocations; Amazon S3 only on failure.
_ON_SUCCESS_KINDS = frozenset({TargetKind.LAMBDA, TargetKind.SQS, TargetKind.SNS,
                               TargetKind.EVENTS})
_ON_FAILURE_KINDS = _ON_SUCCESS_KINDS | {TargetKind.S3}
# "The Amazon Resource Name (ARN) of an Amazon SQS queue or Amazon SNS topic."
_DEAD_LETTER_KINDS = frozenset({TargetKind.SQS, TargetKind.SNS})

Arn = Callable[[str, str | None], str]  # (function name, qualifier) -> function ARN
Exists = Callable[[FunctionRef], bool]  # a function ARN: is it a function of this platform?


@dataclass(frozen=True, slots=True)
class Destinations:
    """A ``DestinationConfig`` as given: ``None`` (or ``""``) means no destination."""

    on_success: str | None = None
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class EventInvokeChange:
    """The members of a Put/UpdateFunctionEventInvokeConfig request; ``None`` = not given."""

    maximum_retry_attempts: int | None = None
    maximum_event_age_seconds: int | None = None
    destinations: Destinations | None = None

    def is_empty(self) -> bool:
        return (self.maximum_retry_attempts is None and self.maximum_event_age_seconds is None
                and self.destinations is None)


def key(qualifier: str | None) -> str:
    """Configs of the unqualified function and of ``$LATEST`` are one and the same."""
    return qualifier or LATEST


def target_entry(entry: FunctionEntry | None, qualifier: str | None,
                 change: EventInvokeChange) -> FunctionEntry:
    """The function a Put/Update addresses, checked in Lambda's order: something to set,
    then a qualifier that is ``$LATEST``, a version or an alias of the function."""
    if change.is_empty():
        raise InvalidParameterValue(NOTHING_TO_SET)
    name = key(qualifier)
    if entry is None or not (name in entry.versions or name in entry.aliases):
        raise ResourceNotFound(FUNCTION_MISSING)
    return entry


def no_config(function_arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"The function {function_arn} doesn't have an EventInvokeConfig")


def next_record(entry: FunctionEntry, qualifier: str | None, change: EventInvokeChange,
                replace: bool, now: float, arn: Arn, exists: Exists) -> EventInvokeRecord:
    """The config after a Put (``replace``: members not given go back to unset) or an
    Update (members not given keep their value; the config must exist)."""
    name = entry.function.name
    current = entry.event_invoke.get(key(qualifier))
    if not replace and current is None:
        raise no_config(arn(name, key(qualifier)))
    if change.destinations is not None:
        check_destinations(name, change.destinations, exists)
    # What members not given fall back to: nothing for a Put, the stored values for an Update.
    base = (EventInvokeRecord(function_name=name, qualifier=key(qualifier), last_modified=now)
            if replace or current is None else current)
    destinations = change.destinations or Destinations(base.on_success, base.on_failure)
    return EventInvokeRecord(
        function_name=name, qualifier=key(qualifier), last_modified=round(now, 3),  # ms, as AWS
        maximum_retry_attempts=_given(change.maximum_retry_attempts,
                                      base.maximum_retry_attempts),
        maximum_event_age_seconds=_given(change.maximum_event_age_seconds,
                                         base.maximum_event_age_seconds),
        on_success=destinations.on_success or None,
        on_failure=destinations.on_failure or None)


def _given(value: int | None, otherwise: int | None) -> int | None:
    return otherwise if value is None else value


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value


def check_destinations(function_name: str, destinations: Destinations, exists: Exists) -> None:
    """Each destination must be a supported service; a Lambda destination must be another
    function that exists here (same account and region)."""
    chosen = ((destinations.on_success, _ON_SUCCESS_KINDS),
              (destinations.on_failure, _ON_FAILURE_KINDS))
    for arn, allowed in chosen:
        if not arn:
            continue
        try:
            kind = target_kind(arn)
        except InvalidParameterValue:
            kind = None
        if kind not in allowed:
            raise InvalidParameterValue(
                f"The provided destination config {_described(destinations)} is invalid.")
        if kind is TargetKind.LAMBDA:
            _check_function_destination(function_name, arn, exists)


def _check_function_destination(function_name: str, arn: str, exists: Exists) -> None:
    try:
        ref = parse_function_name(arn)
    except LambdaError:
        raise InvalidParameterValue(f"The destination ARN {arn} is invalid.") from None
    if ref.name == function_name:
        raise InvalidParameterValue(SELF_DESTINATION)
    if not exists(ref):
        raise InvalidParameterValue(f"The destination ARN {arn} is invalid.")


def _described(destinations: Destinations) -> str:
    """Lambda's rendering of a DestinationConfig in its error message."""
    success = (f"OnSuccess(destination={destinations.on_success})"
               if destinations.on_success else "null")
    failure = (f"OnFailure(destination={destinations.on_failure})"
               if destinations.on_failure else "null")
    return f"DestinationConfig(onSuccess={success}, onFailure={failure})"


def check_dead_letter(target_arn: str | None) -> None:
    """``DeadLetterConfig.TargetArn`` names an SQS queue or SNS topic (``""`` removes it)."""
    if not target_arn:
        return
    try:
        kind: TargetKind | None = target_kind(target_arn)
    except InvalidParameterValue:
        kind = None
    if kind not in _DEAD_LETTER_KINDS:
        raise InvalidParameterValue(
            f"The provided DeadLetterConfig target {target_arn} is invalid: it must be the "
            "ARN of an Amazon SQS queue or an Amazon SNS topic.")


def effective(entry: FunctionEntry | None, qualifier: str | None) -> EventInvokeConfig:
    """The settings an asynchronous event for ``qualifier`` runs under.

    Lambda applies the config of the qualifier that was invoked (an unqualified call is
    ``$LATEST``'s), with the defaults for members it does not set, and the dead-letter
    queue of the version that runs it (for an alias, its primary version). Unknown
    functions or qualifiers get the defaults: the invocation itself then fails.
    """
    if entry is None:
        return EventInvokeConfig()
    name = key(qualifier)
    record = entry.event_invoke.get(name)
    alias = entry.aliases.get(name)
    version = entry.versions.get(alias.function_version if alias else name)
    dead_letter = version.dead_letter_target_arn if version else None
    if record is None:
        return EventInvokeConfig(dead_letter_arn=dead_letter)
    return EventInvokeConfig(
        maximum_retry_attempts=_or_default(record.maximum_retry_attempts,
                                           DEFAULT_MAXIMUM_RETRY_ATTEMPTS),
        maximum_event_age_seconds=_or_default(record.maximum_event_age_seconds,
                                              DEFAULT_MAXIMUM_EVENT_AGE_SECONDS),
        on_success=record.on_success, on_failure=record.on_failure,
        dead_letter_arn=dead_letter)


def sort_key(qualifier: str) -> str:
    """``$LATEST`` first, then versions by number, then aliases by name."""
    if qualifier == LATEST:
        return "0"
    if qualifier.isdigit():
        return f"1{int(qualifier):012d}"
    return f"2{qualifier}"
