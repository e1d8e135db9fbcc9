"""Where destination records and dead-letter messages go.

A Lambda function ARN receives the record as an asynchronous invocation (the consumer's
injected ``enqueue``). An SQS queue, SNS topic, EventBridge bus or S3 bucket ARN is a
local *sink*: a JSON-lines file per target, ``<data dir>/destinations/<ARN with every
character outside [A-Za-z0-9._-] replaced by _>.jsonl``, one message per line, appended
and fsynced. Each line has the shape that service would hand a reader:

- SQS: ``{"messageId", "body", "messageAttributes"}`` (as in an SQS event record);
- SNS: ``{"MessageId", "TopicArn", "Message", "Timestamp", "MessageAttributes"}``;
- EventBridge: the event Lambda puts on the bus (``"source": "lambda"``,
  ``"detail-type": "Lambda Function Invocation Result - Success"`` or ``- Failure``,
  the record in ``detail``);
- S3 (on-failure only in AWS): the record itself.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from turnout.errors import InvalidParameterValue
from turnout.events.records import DeadLetterMessage

SINK_DIR = "destinations"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:(?P<service>[a-z0-9-]+):(?P<region>[^:]*):"
                  r"(?P<account>[^:]*):(?P<resource>.+)$")


class TargetKind(StrEnum):
    LAMBDA = "lambda"
    SQS = "sqs"
    SNS = "sns"
    EVENTS = "events"
    S3 = "s3"


def target_kind(arn: str) -> TargetKind:
    match = _ARN.match(arn)
    if match is None:
        raise InvalidParameterValue(f"The destination ARN {arn} is invalid.")
    try:
        return TargetKind(match["service"])
    except ValueError:
        raise InvalidParameterValue(
            f"The provided destination config DestinationConfig has an unsupported target "
            f"{arn}.") from None


def sink_path(data_dir: Path, arn: str) -> Path:
    return data_dir / SINK_DIR / (_UNSAFE.sub("_", arn) + ".jsonl")


def _iso_seconds(epoch_seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def render_record(arn: str, record: dict[str, Any], *, message_id: str, now: float,
                  ) -> bytes:
    """The bytes to deliver a destination record to ``arn`` (a line for a sink, the
    payload for a function)."""
    kind = target_kind(arn)
    text = orjson.dumps(record).decode()
    if kind is TargetKind.SQS:
        return orjson.dumps({"messageId": message_id, "body": text, "messageAttributes": {}})
    if kind is TargetKind.SNS:
        return orjson.dumps({"MessageId": message_id, "TopicArn": arn, "Message": text,
                             "Timestamp": record.get("timestamp", _iso_seconds(now)),
                             "MessageAttributes": {}})
    if kind is TargetKind.EVENTS:
        context = record["requestContext"]
        outcome = "Success" if context["condition"] == "Success" else "Failure"
        parts = _ARN.match(arn)
        assert parts is not None  # target_kind matched it
        return orjson.dumps({
            "version": "0", "id": message_id,
            "detail-type": f"Lambda Function Invocation Result - {outcome}",
            "source": "lambda", "account": parts["account"], "time": _iso_seconds(now),
            "region": parts["region"], "resources": [arn, context["functionArn"]],
            "detail": record,
        })
    return orjson.dumps(record)


def render_dead_letter(arn: str, message: DeadLetterMessage, *, message_id: str, now: float,
                       ) -> bytes:
    """The line for a dead-letter queue (SQS) or topic (SNS)."""
    kind = target_kind(arn)
    values = {"RequestID": ("String", message.request_id),
              "ErrorCode": ("Number", str(message.error_code)),
              "ErrorMessage": ("String", message.error_message)}
    if kind is TargetKind.SNS:
        return orjson.dumps({
            "MessageId": message_id, "TopicArn": arn, "Message": message.body,
            "Timestamp": _iso_seconds(now),
            "MessageAttributes": {k: {"Type": t, "Value": v} for k, (t, v) in values.items()},
        })
    return orjson.dumps({
        "messageId": message_id, "body": message.body,
        "messageAttributes": {k: {"dataType": t, "stringValue": v}
                              for k, (t, v) in values.items()},
    })


def append_line(path: Path, line: bytes) -> None:
    """Append one line and fsync it (blocking: call it off the event loop)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as sink:
        sink.write(line.rstrip(b"\n") + b"\n")
        sink.flush()
        os.fsync(sink.fileno())


def read_sink(data_dir: Path, arn: str, follow: bool = False, poll_seconds: float = 0.5,
              stop: Callable[[], bool] | None = None) -> Iterator[Any]:
    """Yield the messages of a sink in order; with ``follow``, keep waiting for more
    (``turnout destinations tail ARN``) until ``stop()`` says so."""
    path = sink_path(data_dir, arn)
    offset = 0
    pending = b""
    while True:
        if path.exists():
            with open(path, "rb") as sink:
                sink.seek(offset)
                chunk = sink.read()
            offset += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield orjson.loads(line)
        if not follow or (stop is not None and stop()):
            return
        time.sleep(poll_seconds)
