"""The HTTP/1.1 front end: an asyncio ``Protocol`` with httptools, serving ``LambdaApp``.

Every invocation crosses this layer, so it does little: parse the request,
hand it to the app, write the answer in one ``write``. Keep-alive, pipelined
requests (answered in order), ``Expect: 100-continue``, chunked request bodies
(httptools decodes them) and ``Connection: close`` are handled here; routes,
shapes and errors stay in the app.

Each request runs as a task owned by the server (``InFlight``), which waits for
them before it returns; a request in flight finishes even if its client goes
away (an invocation is not abandoned halfway), and its answer is then dropped.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import ClassVar, NamedTuple, cast

import httptools

from turnout.api.codec import Response

log = logging.getLogger("turnout.api")

MAX_BODY_BYTES = 70_167_211  # the largest request AWS accepts (CreateFunction)
IDLE_SWEEP_S = 5.0
MAX_PIPELINED = 16  # requests read ahead on one connection before reading pauses
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
SERVER_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n"
                b"connection: close\r\n\r\n")
REASONS = {200: b"OK", 201: b"Created", 202: b"Accepted", 204: b"No Content",
           400: b"Bad Request", 403: b"Forbidden", 404: b"Not Found", 409: b"Conflict",
           412: b"Precondition Failed", 413: b"Request Entity Too Large",
           429: b"Too Many Requests", 500: b"Internal Server Error",
           501: b"Not Implemented", 502: b"Bad Gateway", 503: b"Service Unavailable"}


class HttpRequest(NamedTuple):
    method: str
    target: str  # path and query string, as sent (latin-1)
    headers: dict[str, str]  # lower-case names
    body: bytes
    body_size: int  # the full length received; ``body`` is empty when beyond MAX_BODY_BYTES


Responder = Callable[[HttpRequest], Awaitable[Response]]


class _Date:
    """The ``Date`` header, formatted once per second."""

    second: ClassVar[int] = -1
    line: ClassVar[bytes] = b""

    @classmethod
    def header(cls) -> bytes:
        now = int(time.time())
        if now != cls.second:
            stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))
            cls.line = f"date: {stamp}\r\n".encode()
            cls.second = now
        return cls.line


def header_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers by lower-case name; a repeated header's values joined with commas (RFC 9110)."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    if len(headers) < len(raw):
        headers = {}
        for name, value in raw:
            key, text = name.decode("latin-1").lower(), value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers


def encode(response: Response, keep_alive: bool, with_body: bool = True) -> bytes:
    head = [b"HTTP/1.1 %d %s\r\n" % (response.status, REASONS.get(response.status, b"Unknown"))]
    head += [b"%s: %s\r\n" % pair for pair in response.headers]
    head.append(_Date.header())
    if response.status not in (204, 304):
        head.append(b"content-length: %d\r\n" % len(response.body))
    if not keep_alive:
        head.append(b"connection: close\r\n")
    head.append(b"\r\n")
    if with_body and response.status not in (204, 304):
        head.append(response.body)
    return b"".join(head)


class InFlight:
    """The request tasks of one server: started by its connections, awaited at its end.

    (A ``TaskGroup`` would do, but costs a dozen lines of Python per request.)
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, request: Coroutine[None, None, None]) -> asyncio.Task[None]:
        task = self._loop.create_task(request)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def finish(self) -> None:
        """Wait for every request in flight; if cancelled meanwhile, cancel them too."""
        try:
            while self._tasks:
                await asyncio.wait(list(self._tasks))
        except asyncio.CancelledError:
            for task in self._tasks:
                task.cancel()
            raise


class HttpConnection(asyncio.Protocol):
    """One client connection; requests are answered one at a time, in order."""

    def __init__(self, respond: Responder, tasks: InFlight,
                 connections: set[HttpConnection], stopping: asyncio.Event) -> None:
        self._respond = respond
        self._stopping = stopping
        self._tasks = tasks
        self._connections = connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._waiting: deque[tuple[HttpRequest, bool]] = deque()
        self._busy = False
        self._paused = False
        self.last_active = time.monotonic()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._waiting.clear()
        self._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n"
                         b"connection: close\r\n\r\n")
        except httptools.HttpParserError:
            self._reject(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n"
                         b"connection: close\r\n\r\n")

    def _reject(self, answer: bytes) -> None:
        if self._transport is not None:
            self._transport.write(answer)
            self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._raw_headers = []
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers = header_dict(self._raw_headers)
        expect = self._headers.get("expect")
        if expect is not None and expect.lower() == "100-continue" and self._transport:
            self._transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size <= MAX_BODY_BYTES:
            self._body.append(body)
        else:
            self._body.clear()

    def on_message_complete(self) -> None:
        parser = self._parser
        body = b"".join(self._body) if self._size <= MAX_BODY_BYTES else b""
        request = HttpRequest(parser.get_method().decode("latin-1"), self._url.decode("latin-1"),
                              self._headers, body, self._size)
        self._body = []
        self._waiting.append((request, parser.should_keep_alive()))
        if not self._paused and len(self._waiting) >= MAX_PIPELINED and self._transport:
            self._transport.pause_reading()  # a client that sends without reading waits
            self._paused = True
        if not self._busy:
            self._next()

    # answering
    def _next(self) -> None:
        if not self._waiting or self._transport is None:
            self._busy = False
            return
        self._busy = True
        request, keep_alive = self._waiting.popleft()
        if self._paused and len(self._waiting) < MAX_PIPELINED:
            self._paused = False
            self._transport.resume_reading()
        self._tasks.start(self._serve(request, keep_alive))

    async def _serve(self, request: HttpRequest, keep_alive: bool) -> None:
        try:
            response = await self._respond(request)
            keep_alive = keep_alive and not self._stopping.is_set()
            answer = encode(response, keep_alive, request.method != "HEAD")
        except Exception:  # a bug must not stop the server (the TaskGroup would)
            log.exception("no answer for %s %s", request.method, request.target)
            answer, keep_alive = SERVER_ERROR, False
        transport = self._transport
        if transport is None:
            return
        transport.write(answer)
        self.last_active = time.monotonic()
        if not keep_alive:
            transport.close()
            return
        self._next()

    @property
    def idle(self) -> bool:
        return not self._busy

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def serve_http(respond: Responder, sock: socket.socket, stop: asyncio.Event,
                     keep_alive_s: float = 75.0) -> None:
    """Serve on the bound listening ``sock`` until ``stop`` is set, then finish what runs.

    Idle keep-alive connections are closed after ``keep_alive_s``; at stop, idle
    connections close at once and busy ones after their answer.
    """
    loop = asyncio.get_running_loop()
    connections: set[HttpConnection] = set()
    tasks = InFlight()
    try:
        server = await loop.create_server(lambda: HttpConnection(respond, tasks, connections, stop),
                                          sock=sock, backlog=2048)
        try:
            while not stop.is_set():
                try:
                    async with asyncio.timeout(IDLE_SWEEP_S):
                        await stop.wait()
                except TimeoutError:
                    cutoff = time.monotonic() - keep_alive_s
                    for connection in [c for c in connections
                                       if c.idle and c.last_active < cutoff]:
                        connection.close()
        finally:
            server.close()
            for connection in list(connections):
                if connection.idle:
                    connection.close()
            await tasks.finish()
    finally:
        for connection in list(connections):
            connection.close()
