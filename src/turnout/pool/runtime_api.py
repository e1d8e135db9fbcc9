"""The Lambda Runtime API served to one environment, on its own loopback port.

Routes (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
``GET /2018-06-01/runtime/invocation/next`` (parked until there is an event),
``POST …/invocation/{id}/response``, ``POST …/invocation/{id}/error`` and
``POST /2018-06-01/runtime/init/error``. Built on an asyncio ``Protocol`` with
httptools: this is on every invocation's path.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any, Protocol, cast

import httptools

PREFIX = b"/2018-06-01/runtime/"
NEXT = b"invocation/next"
INIT_ERROR = b"init/error"
ERROR_TYPE_HEADER = b"lambda-runtime-function-error-type"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # 6 MB synchronous response limit

REASONS = {200: b"OK", 202: b"Accepted", 400: b"Bad Request", 403: b"Forbidden",
           404: b"Not Found", 405: b"Method Not Allowed", 413: b"Request Entity Too Large",
           500: b"Internal Server Error"}

ACCEPTED = (202, b'{"status":"OK"}')


def error_body(error_type: str, message: str) -> bytes:
    """The Runtime API's ``ErrorResponse`` document."""
    return (f'{{"errorMessage":"{message}","errorType":"{error_type}"}}').encode()


class RuntimeApiHandler(Protocol):
    """What an environment does with the Runtime API's requests."""

    def next_invocation(self, connection: RuntimeApiConnection) -> None:
        """Answer now with ``connection.send_event`` or keep it parked."""

    def invocation_response(self, request_id: str, body: bytes) -> tuple[int, bytes]: ...

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None,
                         ) -> tuple[int, bytes]: ...

    def init_error(self, body: bytes, error_type: str | None) -> tuple[int, bytes]: ...

    def connection_lost(self, connection: RuntimeApiConnection) -> None: ...


class RuntimeApiConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection from the worker."""

    def __init__(self, handler: RuntimeApiHandler) -> None:
        self._handler = handler
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []
        self._error_type: str | None = None
        self._corked: list[bytes] = []
        self._next_waiting = False  # a GET /next on this connection awaits its event

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self.send(400, error_body("InvalidRequest", "Malformed HTTP request"), close=True)
            return
        if self._corked:
            self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._handler.connection_lost(self)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._body = []
        self._error_type = None

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == ERROR_TYPE_HEADER:
            self._error_type = value.decode("latin-1")
        elif lowered == b"expect" and value.lower() == b"100-continue" and self._transport:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self._parser.get_method()
        path = self._url.split(b"?", 1)[0]
        if not path.startswith(PREFIX):
            self.send(404, error_body("NotFound", "Not Found"))
            return
        route = path[len(PREFIX):]
        if route == NEXT:
            if method != b"GET":
                self.send(405, error_body("MethodNotAllowed", "Method Not Allowed"))
                return
            self._next_waiting = True
            self._handler.next_invocation(self)
            return
        if method != b"POST":
            self.send(405, error_body("MethodNotAllowed", "Method Not Allowed"))
            return
        body = b"".join(self._body)
        if route == INIT_ERROR:
            self.send(*self._handler.init_error(body, self._error_type))
            return
        parts = route.split(b"/")
        if len(parts) == 3 and parts[0] == b"invocation" and parts[2] in (b"response", b"error"):
            request_id = parts[1].decode("latin-1")
            if parts[2] == b"response":
                self.send(*self._handler.invocation_response(request_id, body))
            else:
                self.send(*self._handler.invocation_error(request_id, body, self._error_type))
            return
        self.send(404, error_body("NotFound", "Not Found"))

    # answers
    def send(self, status: int, body: bytes, close: bool = False) -> None:
        transport = self._transport
        if transport is None:
            return
        head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
            status, REASONS.get(status, b"Unknown"), len(body))
        if close:
            self._flush()
            transport.write(head + body)
            transport.close()
            return
        # Held until everything the worker sent with it is read (see ``_flush``), so that
        # an answer followed by a pipelined GET /next leaves with the next event.
        self._corked.append(head + body)

    def _flush(self) -> None:
        if self._next_waiting:
            # The worker pipelined a GET /next behind the request answered here: it reads
            # this answer and then waits for its event anyway, so both leave in the event's
            # write (one write and one wake-up per invocation instead of two).
            return
        if self._corked and self._transport is not None:
            self._transport.write(b"".join(self._corked))
        self._corked.clear()

    def send_event(self, headers: bytes, payload: bytes) -> bool:
        """Answer a parked ``GET /next``; ``headers`` are encoded ``Name: value\\r\\n`` lines."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return False
        self._next_waiting = False
        event = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d" \
                b"\r\n%s\r\n%s" % (len(payload), headers, payload)
        if self._corked:
            self._corked.append(event)
            event = b"".join(self._corked)
            self._corked.clear()
        transport.write(event)
        return True

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def event_headers(request_id: str, deadline_ms: int, invoked_arn: str, trace_id: str,
                  client_context: str | None, cognito_identity: str | None) -> bytes:
    """The ``Lambda-Runtime-*`` headers of a ``GET /next`` answer (no line breaks let in)."""
    lines = (f"Lambda-Runtime-Aws-Request-Id: {request_id}\r\n"
             f"Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n"
             f"Lambda-Runtime-Invoked-Function-Arn: {invoked_arn}\r\n"
             f"Lambda-Runtime-Trace-Id: {trace_id}\r\n")
    if client_context:
        lines += f"Lambda-Runtime-Client-Context: {_one_line(client_context)}\r\n"
    if cognito_identity:
        lines += f"Lambda-Runtime-Cognito-Identity: {_one_line(cognito_identity)}\r\n"
    return lines.encode("latin-1")


def _one_line(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


async def serve(loop: asyncio.AbstractEventLoop, handler: RuntimeApiHandler,
                ) -> tuple[asyncio.Server, int]:
    """Listen on 127.0.0.1 at a free port for one environment's worker."""
    server = await loop.create_server(lambda: RuntimeApiConnection(handler), "127.0.0.1", 0)
    # uvloop hands back a list where typeshed promises a tuple; read it untyped so that a
    # mypyc-compiled build does not reject the list.
    sockets: Sequence[socket.socket] = cast(Any, server).sockets
    port = sockets[0].getsockname()[1]
    return server, port
