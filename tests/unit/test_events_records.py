"""Destination records, dead-letter messages and sinks in AWS's formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from turnout.errors import InvalidParameterValue
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.records import (
    LastResponse,
    dead_letter_message,
    decode_payload,
    invocation_record,
    iso_timestamp,
)
from turnout.events.retry import Condition
from turnout.events.sinks import (
    TargetKind,
    append_line,
    read_sink,
    render_dead_letter,
    render_record,
    sink_path,
    target_kind,
)

ARN = "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST"
REQUEST = "e4b46cbf-b738-xmpl-8880-a18cdf61200e"
ERROR_PAYLOAD = (b'{"errorMessage": "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process '
                 b'exited before completing request"}')
ORDER = b'{"ORDER_IDS": ["9e07af03-ce31-4ff3-xmpl-36dce652cb4f"]}'
# 2019-11-14T18:16:05.568Z
STAMP = 1573755365.568


def test_failure_record_matches_the_aws_example() -> None:
    """The example invocation record of invocation-async-retain-records.html."""
    record = invocation_record(
        request_id=REQUEST, function_arn=ARN, condition=Condition.RETRIES_EXHAUSTED,
        approximate_invoke_count=3, request_payload=ORDER,
        response=LastResponse(ERROR_PAYLOAD, "$LATEST", "Unhandled"), timestamp=STAMP)
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {"requestId": REQUEST, "functionArn": ARN,
                           "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": {"ORDER_IDS": ["9e07af03-ce31-4ff3-xmpl-36dce652cb4f"]},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e "
                                            "Process exited before completing request"},
    }
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload",
                            "responseContext", "responsePayload"]


def test_success_record_has_no_function_error() -> None:
    record = invocation_record(
        request_id=REQUEST, function_arn=ARN.replace("$LATEST", "live"),
        condition=Condition.SUCCESS, approximate_invoke_count=1, request_payload=b"{}",
        response=LastResponse(b'"done"', "7", None), timestamp=STAMP)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["functionArn"].endswith(":my-function:live")
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "7"}
    assert record["responsePayload"] == "done"


def test_record_of_an_event_that_never_ran_has_no_response() -> None:
    record = invocation_record(
        request_id=REQUEST, function_arn=ARN, condition=Condition.EVENT_AGE_EXCEEDED,
        approximate_invoke_count=0, request_payload=b"[1]", response=None, timestamp=STAMP)
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record
    assert "responsePayload" not in record


@pytest.mark.parametrize(("payload", "value"), [
    (b"", None), (b"null", None), (b'{"a": 1}', {"a": 1}), (b"3", 3),
    (b"not json", "not json"),
])
def test_payloads_decode_as_json_or_text(payload: bytes, value: Any) -> None:
    assert decode_payload(payload) == value


@pytest.mark.parametrize(("epoch", "text"), [
    (STAMP, "2019-11-14T18:16:05.568Z"), (0.0, "1970-01-01T00:00:00.000Z"),
    (1573755365.9999, "2019-11-14T18:16:05.999Z"),
])
def test_timestamps_have_milliseconds_and_z(epoch: float, text: str) -> None:
    assert iso_timestamp(epoch) == text


def test_last_response_only_for_runs() -> None:
    ran = InvokeOutcome(OutcomeKind.FUNCTION_ERROR, b"{}", "$LATEST", "Unhandled")
    assert LastResponse.of(ran) == LastResponse(b"{}", "$LATEST", "Unhandled")
    assert LastResponse.of(InvokeOutcome(OutcomeKind.THROTTLED)) is None


def test_dead_letter_message_carries_payload_and_attributes() -> None:
    """'Lambda sends the event to the dead-letter queue as-is, with additional information
    in attributes': RequestID (String), ErrorCode (Number), ErrorMessage (first 1 KB)."""
    long_error = b'{"errorMessage": "' + b"x" * 3000 + b'", "errorType": "Exception"}'
    message = dead_letter_message(
        request_id=REQUEST, request_payload=ORDER,
        response=LastResponse(long_error, "$LATEST", "Unhandled"), last_status=200,
        last_error=None)
    assert message.body == ORDER.decode()
    assert message.error_code == 200
    assert message.error_message == "x" * 1024
    sqs = orjson.loads(render_dead_letter("arn:aws:sqs:us-east-1:123456789012:dlq", message,
                                          message_id="m-1", now=STAMP))
    assert sqs == {"messageId": "m-1", "body": ORDER.decode(), "messageAttributes": {
        "RequestID": {"dataType": "String", "stringValue": REQUEST},
        "ErrorCode": {"dataType": "Number", "stringValue": "200"},
        "ErrorMessage": {"dataType": "String", "stringValue": "x" * 1024}}}
    sns = orjson.loads(render_dead_letter("arn:aws:sns:us-east-1:123456789012:t", message,
                                          message_id="m-2", now=STAMP))
    assert sns["Message"] == ORDER.decode()
    assert sns["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "200"}


def test_dead_letter_message_of_a_throttled_event() -> None:
    message = dead_letter_message(request_id=REQUEST, request_payload=b"{}", response=None,
                                  last_status=429, last_error="Rate Exceeded.")
    assert (message.error_code, message.error_message) == (429, "Rate Exceeded.")


@pytest.mark.parametrize(("arn", "kind"), [
    ("arn:aws:sqs:us-east-1:123456789012:q", TargetKind.SQS),
    ("arn:aws:sns:us-east-1:123456789012:t", TargetKind.SNS),
    ("arn:aws:events:us-east-1:123456789012:event-bus/default", TargetKind.EVENTS),
    ("arn:aws:lambda:us-east-1:123456789012:function:f", TargetKind.LAMBDA),
    ("arn:aws:s3:::bucket", TargetKind.S3),
])
def test_target_kinds(arn: str, kind: TargetKind) -> None:
    assert target_kind(arn) is kind


@pytest.mark.parametrize("arn", ["not-an-arn", "arn:aws:dynamodb:us-east-1:1:table/t"])
def test_unsupported_targets_raise(arn: str) -> None:
    with pytest.raises(InvalidParameterValue):
        target_kind(arn)


def _record(condition: Condition) -> dict[str, Any]:
    return invocation_record(request_id=REQUEST, function_arn=ARN, condition=condition,
                             approximate_invoke_count=1, request_payload=b"{}",
                             response=LastResponse(b"1", "$LATEST", None), timestamp=STAMP)


def test_records_take_each_target_shape() -> None:
    record = _record(Condition.SUCCESS)
    sqs = orjson.loads(render_record("arn:aws:sqs:us-east-1:1:q", record, message_id="i",
                                     now=STAMP))
    assert orjson.loads(sqs["body"]) == record
    sns = orjson.loads(render_record("arn:aws:sns:us-east-1:1:t", record, message_id="i",
                                     now=STAMP))
    assert orjson.loads(sns["Message"]) == record
    bus = "arn:aws:events:us-east-2:123456789012:event-bus/default"
    event = orjson.loads(render_record(bus, record, message_id="i", now=STAMP))
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert (event["source"], event["account"], event["region"]) == (
        "lambda", "123456789012", "us-east-2")
    assert event["resources"] == [bus, ARN] and event["detail"] == record
    failure = orjson.loads(render_record(bus, _record(Condition.EVENT_AGE_EXCEEDED),
                                         message_id="i", now=STAMP))
    assert failure["detail-type"] == "Lambda Function Invocation Result - Failure"
    function = render_record("arn:aws:lambda:us-east-1:1:function:f", record, message_id="i",
                             now=STAMP)
    assert orjson.loads(function) == record


def test_sink_path_is_one_file_per_target_under_the_data_dir(tmp_path: Path) -> None:
    path = sink_path(tmp_path, "arn:aws:sqs:us-east-1:123456789012:my-queue")
    assert path == tmp_path / "destinations" / "arn_aws_sqs_us-east-1_123456789012_my-queue.jsonl"


def test_read_sink_returns_appended_lines_in_order(tmp_path: Path) -> None:
    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    assert list(read_sink(tmp_path, arn)) == []
    for index in range(3):
        append_line(sink_path(tmp_path, arn), orjson.dumps({"n": index}))
    assert list(read_sink(tmp_path, arn)) == [{"n": 0}, {"n": 1}, {"n": 2}]
