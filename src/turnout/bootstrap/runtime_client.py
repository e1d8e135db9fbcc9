"""The Python runtime's HTTP/1.1 client for the Lambda Runtime API (stdlib only).

One keep-alive connection to the platform: the private Unix socket the platform
handed over at start when there is one, else ``AWS_LAMBDA_RUNTIME_API`` over TCP.
Routes and headers as in
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html . This is on every
warm invocation's path, so each step is counted: an invocation costs one
``sendall`` (its answer with the next ``GET /next`` pipelined behind it) and
usually one ``recv_into`` (the platform writes the answer's 202 and the next event
together).
"""

from __future__ import annotations

import functools
import mmap
import os
import socket

API = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
NEXT_REQUEST = f"GET {API}/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n".encode()
HEAD_END = b"\r\n\r\n"
RECEIVE_BYTES = 262144  # one recv_into; larger answers take several


def parse_headers(raw_head: bytes) -> dict[str, str]:
    """An answer's headers, names lower-cased (HTTP's are case-insensitive).

    A name is not stripped: HTTP allows no whitespace between a name and its colon.
    """
    headers = {}
    for line in raw_head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.lower()] = value.strip()
    return headers


def parse_status(raw_head: bytes) -> int:
    """The status code of an answer's head (``HTTP/1.1 202 Accepted``)."""
    return int(raw_head.split(b" ", 2)[1])


@functools.lru_cache(maxsize=16)
def content_length(raw_head: bytes) -> int:
    """The ``Content-Length`` of an answer's head, 0 when it has none.

    Remembered per head: the platform's ``202`` answers are all the same bytes.
    """
    _, found, rest = raw_head.lower().partition(b"\r\ncontent-length:")
    return int(rest.partition(b"\r\n")[0]) if found else 0


def request_bytes(method: str, path: str, body: bytes = b"",
                  headers: dict[str, str] | None = None) -> bytes:
    """One HTTP/1.1 request to the Runtime API, encoded."""
    head = f"{method} {path} HTTP/1.1\r\nHost: runtime\r\nContent-Length: {len(body)}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


class RuntimeApiClient:
    """A minimal keep-alive HTTP/1.1 client for the platform's Runtime API endpoint.

    An invocation's answer and the next ``GET /next`` leave in one ``sendall``
    (pipelining), and the platform usually answers both in one write: one
    ``recv_into`` per invocation, into a buffer allocated once (a fresh 256 KB
    ``recv`` buffer per read costs an ``mmap``, an ``mremap`` and a ``munmap``).
    """

    def __init__(self, address: str, private_fd: int | None = None) -> None:
        host, _, port = address.rpartition(":")
        self._address = (host, int(port))
        self._sock: socket.socket | None = None
        if private_fd is not None:
            # Already connected; the function's own child processes must not inherit it.
            self._sock = socket.socket(fileno=private_fd)
            self._sock.set_inheritable(False)
        self._buffer = b""
        # Anonymous memory: only the pages the kernel writes into become resident
        # (a bytearray would be zero-filled, 256 KB resident in every environment).
        self._chunk = memoryview(mmap.mmap(-1, RECEIVE_BYTES))

    def _connection(self) -> socket.socket:
        if self._sock is None:
            # Not create_connection: its getaddrinfo costs milliseconds in a fresh fork.
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.connect(self._address)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        return self._sock

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request and its answer: (status, lower-cased headers, body)."""
        sock = self._connection()
        sock.sendall(request_bytes(method, path, body, headers))
        raw_head = self._head(sock)
        reply_headers = parse_headers(raw_head)
        length = int(reply_headers.get("content-length", 0))
        return parse_status(raw_head), reply_headers, self._body(sock, length)

    def next_event(self, answer: bytes = b"") -> tuple[dict[str, str], bytes]:
        """Send ``answer`` (the last invocation's POST, if any) and ``GET /next`` together;
        read past the answer's reply and return the next event's headers and body."""
        sock = self._sock or self._connection()
        sock.sendall(answer + NEXT_REQUEST)
        if answer:
            self._body(sock, content_length(self._head(sock)))
        headers = parse_headers(self._head(sock))
        return headers, self._body(sock, int(headers.get("content-length", 0)))

    def _head(self, sock: socket.socket) -> bytes:
        head, found, rest = (self._buffer or self._receive(sock)).partition(HEAD_END)
        while not found:
            head, found, rest = (head + self._receive(sock)).partition(HEAD_END)
        self._buffer = rest
        return head

    def _body(self, sock: socket.socket, length: int) -> bytes:
        buffer = self._buffer
        if len(buffer) < length:
            parts = [buffer]
            received = len(buffer)
            while received < length:
                parts.append(self._receive(sock))
                received += len(parts[-1])
            buffer = b"".join(parts)
        if len(buffer) == length:
            self._buffer = b""
            return buffer
        self._buffer = buffer[length:]
        return buffer[:length]

    def _receive(self, sock: socket.socket) -> bytes:
        received = sock.recv_into(self._chunk)
        if not received:  # the platform went away: nothing left to serve
            os._exit(0)
        return self._chunk[:received].tobytes()


def answer_request(request_id: str, reply: bytes, error_type: str | None) -> bytes:
    """The POST that answers an invocation: its response, or its error document and type."""
    if error_type is None:
        return (f"POST {API}/invocation/{request_id}/response HTTP/1.1\r\nHost: runtime\r\n"
                f"Content-Length: {len(reply)}\r\n\r\n").encode("latin-1") + reply
    return request_bytes("POST", f"{API}/invocation/{request_id}/error", reply,
                         {ERROR_TYPE_HEADER: error_type})
