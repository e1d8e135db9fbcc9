"""Lambda's request size limits and the error AWS answers when one is passed.

https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
"""

from __future__ import annotations

from turnout.errors import RequestTooLarge

SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
# A direct zip upload may be 50 MB; the request limits below are what Lambda names in its
# message (base64 of 50 MB plus the rest of the request).
REQUEST_BYTES = {"Invoke": SYNC_PAYLOAD_BYTES, "CreateFunction": 70_167_211,
                 "UpdateFunctionCode": 69_905_067}
DEFAULT_REQUEST_BYTES = SYNC_PAYLOAD_BYTES
# Lambda's own name for Invoke in these messages.
_NAMES_IN_MESSAGES = {"Invoke": "InvokeFunction"}


def request_limit(operation: str) -> int:
    return REQUEST_BYTES.get(operation, DEFAULT_REQUEST_BYTES)


def request_too_large(operation: str) -> RequestTooLarge:
    """"Request must be smaller than 6291456 bytes for the InvokeFunction operation"."""
    return RequestTooLarge(f"Request must be smaller than {request_limit(operation)} bytes for "
                           f"the {_NAMES_IN_MESSAGES.get(operation, operation)} operation")
