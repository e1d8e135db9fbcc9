"""The application: match → decode → validate → handler → encode, errors mapped here.

This is the one place where exceptions become HTTP responses. A client never
sees a traceback: an unexpected failure is logged and answered as AWS's
``ServiceException`` (500).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from turnout.api import codec
from turnout.api.context import RequestInfo, current_request
from turnout.api.http import HttpRequest
from turnout.api.registry import handler_for
from turnout.api.spec import ApiSpec
from turnout.api.validate import validate
from turnout.errors import (
    LambdaError,
    NotImplementedOperation,
    ServiceError,
    UnknownOperation,
)
from turnout.ids import new_request_id
from turnout.limits import request_limit, request_too_large

if TYPE_CHECKING:
    from turnout.platform import Platform

log = logging.getLogger("turnout.api")

ExtraRoute = Callable[["Platform", dict[str, list[str]]], Awaitable[codec.Response]]

# HTTP statuses for error shapes that are not in the Lambda model.
_UNMODELED_STATUS = {"ValidationException": 400, "UnknownOperationException": 404,
                     "RequestEntityTooLargeException": 413}


class LambdaApp:
    def __init__(self, platform: Platform, spec: ApiSpec,
                 extras: dict[tuple[str, str], ExtraRoute] | None = None) -> None:
        self.platform = platform
        self.spec = spec
        self.extras = extras or {}

    async def respond(self, request: HttpRequest) -> codec.Response:
        """The answer to one HTTP request; never raises (errors become AWS error responses)."""
        request_id = new_request_id()
        try:
            method = request.method
            path, _, query_string = request.target.partition("?")
            query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
            extra = self.extras.get((method, path))
            if extra is not None:
                _check_size(request, "request")
                return await extra(self.platform, query)
            matched = self.spec.match(method, path, query)
            if matched is None:
                raise UnknownOperation(f"No Lambda operation matches {method} {path}")
            operation, labels = matched
            _check_size(request, operation.name)
            headers = request.headers
            params = codec.decode_request(operation, labels, query, headers, request.body)
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
        except LambdaError as error:
            return self.error_response(error, request_id)
        except Exception:
            log.exception("unexpected failure in %s %s", request.method, request.target)
            return self.error_response(
                ServiceError("Turnout hit an internal error; see its log."), request_id)

    def error_response(self, error: LambdaError, request_id: str) -> codec.Response:
        if isinstance(error, NotImplementedOperation):
            status = 501
        else:
            status = self.spec.error_status(error.shape,
                                            _UNMODELED_STATUS.get(error.shape, 400))
        return codec.encode_error(error, status, self.spec.error_shape(error.shape), request_id)


def _check_size(request: HttpRequest, operation: str) -> None:
    if request.body_size > request_limit(operation):
        raise request_too_large(operation)
