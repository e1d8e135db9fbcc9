"""The HTTP front end, driven with bytes and a recording transport (no sockets)."""

from __future__ import annotations

import asyncio

import pytest

from turnout.api.codec import Response
from turnout.api.http import (
    MAX_BODY_BYTES,
    MAX_PIPELINED,
    HttpConnection,
    HttpRequest,
    InFlight,
    header_dict,
)


class RecordingTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False
        self.reading: list[bool] = []

    def pause_reading(self) -> None:
        self.reading.append(False)

    def resume_reading(self) -> None:
        self.reading.append(True)

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True


def request(method: str, target: str, body: bytes = b"", extra: str = "") -> bytes:
    return (f"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}"
            "\r\n").encode() + body


async def echo(request: HttpRequest) -> Response:
    """Answers with what it saw; the second request of a pair finishes first."""
    if request.target.endswith("slow"):
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    seen = f"{request.method} {request.target} {request.body_size} {len(request.body)}"
    return Response(200, [(b"x-seen", seen.encode())], request.body)


def drive(*chunks: bytes, stopping: bool = False) -> tuple[RecordingTransport, list[HttpRequest]]:
    seen: list[HttpRequest] = []

    async def respond(request: HttpRequest) -> Response:
        seen.append(request)
        return await echo(request)

    async def scenario() -> RecordingTransport:
        transport = RecordingTransport()
        stop = asyncio.Event()
        if stopping:
            stop.set()
        tasks = InFlight()
        connection = HttpConnection(respond, tasks, set(), stop)
        connection.connection_made(transport)
        for chunk in chunks:
            connection.data_received(chunk)
        await tasks.finish()
        return transport

    return asyncio.run(scenario()), seen


def test_pipelined_requests_are_answered_in_order() -> None:
    transport, _ = drive(request("POST", "/a/slow", b"1") + request("POST", "/b", b"22"))
    first = transport.written.index(b"x-seen: POST /a/slow 1 1")
    second = transport.written.index(b"x-seen: POST /b 2 2")
    assert first < second
    assert transport.written.count(b"HTTP/1.1 200 OK") == 2
    assert not transport.closed


def test_a_client_far_ahead_is_paused_until_answered() -> None:
    many = b"".join(request("POST", f"/r{n}", b"1") for n in range(MAX_PIPELINED + 4))
    transport, seen = drive(many)
    assert transport.reading == [False, True]
    assert [r.target for r in seen] == [f"/r{n}" for n in range(MAX_PIPELINED + 4)]
    assert transport.written.count(b"HTTP/1.1 200 OK") == MAX_PIPELINED + 4


def test_one_write_carries_head_and_body() -> None:
    transport, _ = drive(request("POST", "/x?Qualifier=1", b'{"k":1}'))
    head, _, body = transport.written.partition(b"\r\n\r\n")
    assert body == b'{"k":1}'
    assert b"content-length: 7" in head and b"date: " in head


def test_a_body_in_pieces_and_headers_in_lower_case() -> None:
    raw = request("PUT", "/p", b"abcdef", "X-Amz-Thing: v\r\n")
    _, seen = drive(raw[:20], raw[20:-3], raw[-3:])
    assert seen[0].body == b"abcdef"
    assert seen[0].headers["x-amz-thing"] == "v"


@pytest.mark.parametrize(("extra", "stopping", "closed"), [
    ("", False, False),
    ("Connection: close\r\n", False, True),
    ("", True, True),  # the server is stopping: answer, then close
])
def test_keep_alive(extra: str, stopping: bool, closed: bool) -> None:
    transport, _ = drive(request("GET", "/k", b"", extra), stopping=stopping)
    assert transport.closed is closed
    assert (b"connection: close" in transport.written) is closed


def test_expect_continue_is_answered_before_the_body() -> None:
    raw = request("POST", "/e", b"body", "Expect: 100-continue\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    transport, _ = drive(head + b"\r\n\r\n", body)
    assert transport.written.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert b"x-seen: POST /e 4 4" in transport.written


def test_a_body_over_the_largest_limit_is_counted_not_kept() -> None:
    size = MAX_BODY_BYTES + 1
    head = (f"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n").encode()
    _, seen = drive(head, b"x" * (size // 2), b"x" * (size - size // 2))
    assert (seen[0].body_size, seen[0].body) == (size, b"")


def test_malformed_http_gets_400_and_closes() -> None:
    transport, seen = drive(b"\x00\x01 not http\r\n\r\n")
    assert transport.written.startswith(b"HTTP/1.1 400 ")
    assert transport.closed and not seen


def test_a_failing_answer_is_a_500_not_a_stopped_server() -> None:
    async def broken(request: HttpRequest) -> Response:
        return Response(200, [(b"x", 1)], b"")  # an int header value cannot be encoded

    async def scenario() -> RecordingTransport:
        transport = RecordingTransport()
        tasks = InFlight()
        connection = HttpConnection(broken, tasks, set(), asyncio.Event())
        connection.connection_made(transport)
        connection.data_received(request("GET", "/b"))
        await tasks.finish()
        return transport

    transport = asyncio.run(scenario())
    assert transport.written.startswith(b"HTTP/1.1 500 ")
    assert transport.closed


@pytest.mark.parametrize(("raw", "expected"), [
    ([(b"Host", b"a"), (b"X-Amz-Log-Type", b"Tail")], {"host": "a", "x-amz-log-type": "Tail"}),
    ([(b"Accept", b"a"), (b"accept", b"b")], {"accept": "a,b"}),  # repeated: joined
    ([(b"X-A", b"1"), (b"Y", b"2"), (b"x-a", b"3")], {"x-a": "1,3", "y": "2"}),
    ([], {}),
])
def test_headers_are_keyed_by_lower_case_name(raw: list[tuple[bytes, bytes]],
                                              expected: dict[str, str]) -> None:
    assert header_dict(raw) == expected


def test_requests_in_flight_are_cancelled_with_their_server() -> None:
    async def scenario() -> bool:
        tasks = InFlight()
        started = asyncio.Event()

        async def forever() -> None:
            started.set()
            await asyncio.Event().wait()

        request = tasks.start(forever())
        finishing = asyncio.create_task(tasks.finish())
        await started.wait()
        finishing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await finishing
        await asyncio.wait([request])
        return request.cancelled()

    assert asyncio.run(scenario())
