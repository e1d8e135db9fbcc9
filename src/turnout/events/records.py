"""Destination records and dead-letter messages, in AWS's formats.

Invocation record (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):

```
{"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
 "requestContext": {"requestId": "…", "functionArn": "arn:…:function:name:$LATEST",
                    "condition": "RetriesExhausted", "approximateInvokeCount": 3},
 "requestPayload": {…},
 "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                     "functionError": "Unhandled"},
 "responsePayload": {…}}
```

A success record has no ``functionError``. An event discarded before the function ever
ran has nothing to report about a response: its record carries neither
``responseContext`` nor ``responsePayload`` (Turnout's choice; AWS does not document
that case).

Dead-letter messages carry the event as it was sent, with the message attributes
``RequestID`` (String), ``ErrorCode`` (Number, the HTTP status) and ``ErrorMessage``
(String, the first 1 KB of the error message).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from turnout.events.outcome import InvokeOutcome
from turnout.events.retry import Condition

ERROR_MESSAGE_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class LastResponse:
    """What the function answered the last time it ran (kept with the event)."""

    payload: bytes
    executed_version: str
    function_error: str | None

    @classmethod
    def of(cls, outcome: InvokeOutcome) -> LastResponse | None:
        if not outcome.kind.executed:
            return None
        return cls(outcome.payload, outcome.executed_version or "$LATEST",
                   outcome.function_error)


@dataclass(frozen=True, slots=True)
class DeadLetterMessage:
    body: str  # the event payload, as sent
    request_id: str
    error_code: int
    error_message: str


def iso_timestamp(epoch_seconds: float) -> str:
    """``2019-11-14T18:16:05.568Z``: UTC with milliseconds."""
    millis_total = int(epoch_seconds * 1000)
    whole, millis = divmod(millis_total, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def decode_payload(payload: bytes) -> Any:
    """A JSON payload as a value; anything else as text (empty → null)."""
    if not payload:
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", errors="replace")


def invocation_record(*, request_id: str, function_arn: str, condition: Condition,
                      approximate_invoke_count: int, request_payload: bytes,
                      response: LastResponse | None, timestamp: float) -> dict[str, Any]:
    """The record sent to an ``OnSuccess`` / ``OnFailure`` destination.

    ``function_arn`` is qualified with the version or alias that was invoked
    (``$LATEST`` when the caller gave none).
    """
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_timestamp(timestamp),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": str(condition),
            "approximateInvokeCount": approximate_invoke_count,
        },
        "requestPayload": decode_payload(request_payload),
    }
    if response is not None:
        context: dict[str, Any] = {"statusCode": 200,
                                   "executedVersion": response.executed_version}
        if response.function_error:
            context["functionError"] = response.function_error
        record["responseContext"] = context
        record["responsePayload"] = decode_payload(response.payload)
    return record


def error_message(response: LastResponse | None, last_error: str | None) -> str:
    """The error to report: the function's ``errorMessage``, else the platform's message."""
    text = last_error or ""
    if response is not None and response.function_error:
        value = decode_payload(response.payload)
        if isinstance(value, dict) and isinstance(value.get("errorMessage"), str):
            text = value["errorMessage"]
        elif value is not None:
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text.encode()[:ERROR_MESSAGE_LIMIT].decode("utf-8", errors="ignore")


def dead_letter_message(*, request_id: str, request_payload: bytes,
                        response: LastResponse | None, last_status: int | None,
                        last_error: str | None) -> DeadLetterMessage:
    return DeadLetterMessage(
        body=request_payload.decode("utf-8", errors="replace"),
        request_id=request_id,
        error_code=last_status if last_status is not None else 200,
        error_message=error_message(response, last_error),
    )
