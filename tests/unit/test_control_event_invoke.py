"""The rules of asynchronous invocation settings (control/event_invoke.py), pure."""

from __future__ import annotations

import dataclasses

import pytest

from turnout.arns import FunctionRef
from turnout.control import event_invoke
from turnout.control.event_invoke import Destinations, EventInvokeChange
from turnout.errors import InvalidParameterValue, ResourceNotFound
from turnout.events.config import EventInvokeConfig
from turnout.models import (
    LATEST,
    AliasRecord,
    EventInvokeRecord,
    FunctionEntry,
    FunctionRecord,
    VersionRecord,
    frozen_map,
)

FN = "arn:aws:lambda:us-east-1:000000000000:function"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"


def version(number: str, dead_letter: str | None = None) -> VersionRecord:
    return VersionRecord(function_name="f", version=number, runtime="python3.12",
                         handler="app.handler", role="r", code_sha256="c", code_size=1,
                         revision_id=number, last_modified="t",
                         dead_letter_target_arn=dead_letter)


def entry(*records: EventInvokeRecord) -> FunctionEntry:
    versions = {LATEST: version(LATEST, "arn:aws:sqs:us-east-1:000000000000:latest-dlq"),
                "1": version("1", "arn:aws:sns:us-east-1:000000000000:v1-dlq")}
    return FunctionEntry(
        function=FunctionRecord(name="f", created="t"), versions=frozen_map(versions),
        aliases=frozen_map({"live": AliasRecord("f", "live", "1", "rev")}),
        event_invoke=frozen_map({record.qualifier: record for record in records}))


def arn(name: str, qualifier: str | None) -> str:
    return f"{FN}:{name}:{qualifier}" if qualifier else f"{FN}:{name}"


def exists(ref: FunctionRef) -> bool:
    return ref.name == "other" and ref.account in (None, "000000000000")


@pytest.mark.parametrize(("destinations", "message"), [
    (Destinations(QUEUE, "arn:aws:sns:us-east-1:000000000000:t"), None),
    (Destinations("arn:aws:events:us-east-1:000000000000:event-bus/b", None), None),
    (Destinations(None, "arn:aws:s3:::bucket"), None),
    (Destinations(f"{FN}:other", f"{FN}:other:1"), None),
    (Destinations("", ""), None),
    (Destinations("arn:aws:s3:::bucket", None),
     "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination="
     "arn:aws:s3:::bucket), onFailure=null) is invalid."),
    (Destinations(None, "arn:aws:kinesis:us-east-1:000000000000:stream/s"),
     "The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure("
     "destination=arn:aws:kinesis:us-east-1:000000000000:stream/s)) is invalid."),
    (Destinations(f"{FN}:f:live", None),
     "You can't specify the function as a destination for itself."),
    (Destinations(None, f"{FN}:ghost"), f"The destination ARN {FN}:ghost is invalid."),
    (Destinations(None, "arn:aws:lambda:us-east-1:000000000000:layer:x"),
     "The destination ARN arn:aws:lambda:us-east-1:000000000000:layer:x is invalid."),
])
def test_destination_rules(destinations: Destinations, message: str | None) -> None:
    if message is None:
        event_invoke.check_destinations("f", destinations, exists)
        return
    with pytest.raises(InvalidParameterValue) as caught:
        event_invoke.check_destinations("f", destinations, exists)
    assert caught.value.message == message


@pytest.mark.parametrize(("target", "accepted"), [
    (None, True), ("", True), (QUEUE, True), ("arn:aws:sns:us-east-1:000000000000:t", True),
    ("arn:aws:events:us-east-1:000000000000:event-bus/b", False), (f"{FN}:other", False),
    ("not-an-arn", False),
])
def test_dead_letter_targets(target: str | None, accepted: bool) -> None:
    if accepted:
        event_invoke.check_dead_letter(target)
    else:
        with pytest.raises(InvalidParameterValue):
            event_invoke.check_dead_letter(target)


RETRY_ONCE = EventInvokeChange(maximum_retry_attempts=1)


@pytest.mark.parametrize("qualifier", [None, LATEST, "1", "live"])
def test_put_and_update_address_existing_qualifiers(qualifier: str | None) -> None:
    assert event_invoke.target_entry(entry(), qualifier, RETRY_ONCE).function.name == "f"


@pytest.mark.parametrize(("found", "qualifier"), [(None, None), (entry(), "2"),
                                                  (entry(), "dead")])
def test_missing_targets(found: FunctionEntry | None, qualifier: str | None) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        event_invoke.target_entry(found, qualifier, RETRY_ONCE)
    assert caught.value.message == "The function doesn't exist."


STORED = EventInvokeRecord("f", LATEST, 1.0, maximum_retry_attempts=0,
                           maximum_event_age_seconds=300, on_success=QUEUE)


@pytest.mark.parametrize(("change", "replace", "expected"), [
    (EventInvokeChange(maximum_retry_attempts=1), True,
     EventInvokeRecord("f", LATEST, 9.0, maximum_retry_attempts=1)),
    (EventInvokeChange(maximum_retry_attempts=1), False,
     dataclasses.replace(STORED, last_modified=9.0, maximum_retry_attempts=1)),
    (EventInvokeChange(destinations=Destinations(None, QUEUE)), False,
     dataclasses.replace(STORED, last_modified=9.0, on_success=None, on_failure=QUEUE)),
    (EventInvokeChange(maximum_event_age_seconds=60, destinations=Destinations("", "")), False,
     dataclasses.replace(STORED, last_modified=9.0, maximum_event_age_seconds=60,
                         on_success=None)),
])
def test_put_replaces_update_merges(change: EventInvokeChange, replace: bool,
                                    expected: EventInvokeRecord) -> None:
    assert event_invoke.next_record(entry(STORED), None, change, replace, 9.0004, arn,
                                    exists) == expected


@pytest.mark.parametrize("found", [entry(), None])
def test_an_empty_change_is_refused_first(found: FunctionEntry | None) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        event_invoke.target_entry(found, None, EventInvokeChange())
    assert caught.value.message == event_invoke.NOTHING_TO_SET


def test_update_without_config_is_refused() -> None:
    with pytest.raises(ResourceNotFound) as caught:
        event_invoke.next_record(entry(), "live", RETRY_ONCE, False, 9.0004, arn, exists)
    assert caught.value.message == f"The function {FN}:f:live doesn't have an EventInvokeConfig"


LIVE = EventInvokeRecord("f", "live", 1.0, maximum_retry_attempts=0, on_failure=QUEUE)


@pytest.mark.parametrize(("found", "qualifier", "expected"), [
    (None, None, EventInvokeConfig()),
    (entry(), None,
     EventInvokeConfig(dead_letter_arn="arn:aws:sqs:us-east-1:000000000000:latest-dlq")),
    (entry(STORED), LATEST, EventInvokeConfig(
        maximum_retry_attempts=0, maximum_event_age_seconds=300, on_success=QUEUE,
        dead_letter_arn="arn:aws:sqs:us-east-1:000000000000:latest-dlq")),
    # The alias's own config and the dead-letter queue of the version it points to.
    (entry(STORED, LIVE), "live", EventInvokeConfig(
        maximum_retry_attempts=0, on_failure=QUEUE,
        dead_letter_arn="arn:aws:sns:us-east-1:000000000000:v1-dlq")),
    # No fallback: version 1 has no config of its own, so defaults apply.
    (entry(STORED, LIVE), "1",
     EventInvokeConfig(dead_letter_arn="arn:aws:sns:us-east-1:000000000000:v1-dlq")),
    (entry(STORED), "gone", EventInvokeConfig()),
])
def test_effective_config(found: FunctionEntry | None, qualifier: str | None,
                          expected: EventInvokeConfig) -> None:
    assert event_invoke.effective(found, qualifier) == expected


def test_list_order() -> None:
    assert sorted(["live", "10", LATEST, "2", "beta"], key=event_invoke.sort_key) == [
        LATEST, "2", "10", "beta", "live"]
