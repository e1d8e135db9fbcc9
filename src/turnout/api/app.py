"""The ASGI application: match → decode → validate → handler → encode, errors mapped here.

This is the one place where exceptions become HTTP responses. A client never
sees a traceback: an unexpected failure is logged and answered as AWS's
``ServiceException`` (500).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from turnout.api import codec
from turnout.api.context import RequestInfo, current_request
from turnout.api.registry import handler_for
from turnout.api.spec import ApiSpec
from turnout.api.validate import validate
from turnout.errors import (
    LambdaError,
    NotImplementedOperation,
    RequestTooLarge,
    ServiceError,
    UnknownOperation,
)

if TYPE_CHECKING:
    from turnout.platform import Platform

log = logging.getLogger("turnout.api")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ExtraRoute = Callable[["Platform", dict[str, list[str]]], Awaitable[codec.Response]]

# Request size limits AWS enforces before reading a request.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
_BODY_LIMITS = {"Invoke": 6 * 1024 * 1024, "CreateFunction": 70_167_211,
                "UpdateFunctionCode": 69_905_067}
_DEFAULT_BODY_LIMIT = 6 * 1024 * 1024
_AWS_OPERATION_NAMES = {"Invoke": "InvokeFunction"}

# HTTP statuses for error shapes that are not in the Lambda model.
_UNMODELED_STATUS = {"ValidationException": 400, "UnknownOperationException": 404,
                     "RequestEntityTooLargeException": 413}


class LambdaApp:
    def __init__(self, platform: Platform, spec: ApiSpec,
                 extras: dict[tuple[str, str], ExtraRoute] | None = None) -> None:
        self.platform = platform
        self.spec = spec
        self.extras = extras or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request_id = str(uuid.uuid4())
        try:
            response = await self._handle(scope, receive, request_id)
        except LambdaError as error:
            response = self.error_response(error, request_id)
        except Exception:
            log.exception("unexpected failure in %s %s", scope["method"], scope["path"])
            response = self.error_response(
                ServiceError("Turnout hit an internal error; see its log."), request_id)
        length = (b"content-length", str(len(response.body)).encode())
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [*response.headers, length]})
        await send({"type": "http.response.body", "body": response.body})

    async def _handle(self, scope: Scope, receive: Receive, request_id: str) -> codec.Response:
        method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        extra = self.extras.get((method, path))
        if extra is not None:
            await _read_body(receive, _DEFAULT_BODY_LIMIT, "request")
            return await extra(self.platform, query)
        matched = self.spec.match(method, path, query)
        if matched is None:
            raise UnknownOperation(f"No Lambda operation matches {method} {path}")
        operation, labels = matched
        limit = _BODY_LIMITS.get(operation.name, _DEFAULT_BODY_LIMIT)
        body = await _read_body(receive, limit,
                                _AWS_OPERATION_NAMES.get(operation.name, operation.name))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        params = codec.decode_request(operation, labels, query, headers, body)
        validate(operation.input_shape, params)
        handler = handler_for(operation.name)
        if handler is None:
            raise NotImplementedOperation(
                f"Turnout does not implement the Lambda operation {operation.name} yet.")
        token = current_request.set(RequestInfo(request_id, headers))
        try:
            result = await handler(self.platform, params)
        finally:
            current_request.reset(token)
        return codec.encode_response(operation, result, request_id)

    def error_response(self, error: LambdaError, request_id: str) -> codec.Response:
        if isinstance(error, NotImplementedOperation):
            status = 501
        else:
            status = self.spec.error_status(error.shape,
                                            _UNMODELED_STATUS.get(error.shape, 400))
        return codec.encode_error(error, status, self.spec.error_shape(error.shape), request_id)


async def _read_body(receive: Receive, limit: int, operation: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(
                f"Request must be smaller than {limit} bytes for the {operation} operation")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
