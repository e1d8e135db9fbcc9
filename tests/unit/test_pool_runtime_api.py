"""The Runtime API protocol, driven with bytes and a recording transport (no sockets)."""

from __future__ import annotations

import asyncio

import pytest

from turnout.pool.runtime_api import RuntimeApiConnection, event_headers


class RecordingTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


class FakeEnvironment:
    """Implements RuntimeApiHandler, recording what the worker asked."""

    def __init__(self, request_id: str = "req-1") -> None:
        self.request_id = request_id
        self.parked: list[RuntimeApiConnection] = []
        self.calls: list[tuple[str, str, bytes, str | None]] = []

    def next_invocation(self, connection: RuntimeApiConnection) -> None:
        self.parked.append(connection)

    def invocation_response(self, request_id: str, body: bytes) -> tuple[int, bytes]:
        self.calls.append(("response", request_id, body, None))
        return (202, b'{"status":"OK"}') if request_id == self.request_id else (400, b"{}")

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None,
                         ) -> tuple[int, bytes]:
        self.calls.append(("error", request_id, body, error_type))
        return 202, b'{"status":"OK"}'

    def init_error(self, body: bytes, error_type: str | None) -> tuple[int, bytes]:
        self.calls.append(("init", "", body, error_type))
        return 202, b'{"status":"OK"}'

    def connection_lost(self, connection: RuntimeApiConnection) -> None:
        self.parked.remove(connection)


def drive(data: bytes, env: FakeEnvironment | None = None,
          ) -> tuple[FakeEnvironment, RuntimeApiConnection, RecordingTransport]:
    """Feed raw bytes inside a running loop and let corked answers flush."""
    env = env or FakeEnvironment()
    transport = RecordingTransport()

    async def run() -> RuntimeApiConnection:
        connection = RuntimeApiConnection(env)
        connection.connection_made(transport)  # type: ignore[arg-type,unused-ignore]
        connection.data_received(data)
        await asyncio.sleep(0)
        return connection

    connection = asyncio.run(run())
    return env, connection, transport


def request(method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
            .encode() + body)


def status_of(written: bytes) -> int:
    return int(written.split(b" ", 2)[1])


def test_next_parks_until_the_environment_sends_an_event() -> None:
    env, connection, transport = drive(request("GET", "/2018-06-01/runtime/invocation/next"))
    assert env.parked == [connection]
    assert transport.written == b""
    headers = event_headers("req-1", 1700000000000, "arn:fn", "Root=1-a-b", '{"c":1}', None)
    assert connection.send_event(headers, b'{"x":1}')
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Lambda-Runtime-Aws-Request-Id: req-1\r\n" in transport.written
    assert b"Lambda-Runtime-Deadline-Ms: 1700000000000\r\n" in transport.written
    assert b"Lambda-Runtime-Invoked-Function-Arn: arn:fn\r\n" in transport.written
    assert b"Lambda-Runtime-Trace-Id: Root=1-a-b\r\n" in transport.written
    assert b'Lambda-Runtime-Client-Context: {"c":1}\r\n' in transport.written
    assert b"Cognito" not in transport.written
    assert transport.written.endswith(b"Content-Length: 7\r\n" + headers + b'\r\n{"x":1}')


@pytest.mark.parametrize(("path", "kind", "error_type"), [
    ("/2018-06-01/runtime/invocation/req-1/response", "response", None),
    ("/2018-06-01/runtime/invocation/req-1/error", "error", "Runtime.Boom"),
    ("/2018-06-01/runtime/init/error", "init", "Runtime.ImportModuleError"),
])
def test_posts_reach_the_environment(path: str, kind: str, error_type: str | None) -> None:
    header = f"Lambda-Runtime-Function-Error-Type: {error_type}\r\n" if error_type else ""
    env, _, transport = drive(request("POST", path, b'{"a":1}', header))
    assert env.calls == [(kind, "req-1" if kind != "init" else "", b'{"a":1}', error_type)]
    assert status_of(transport.written) == 202


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/2018-06-01/runtime/invocation/req-9/response", 405),
    ("POST", "/2018-06-01/runtime/invocation/next", 405),
    ("GET", "/2018-06-01/runtime/nothing", 405),
    ("POST", "/2018-06-01/runtime/nothing/here", 404),
    ("GET", "/elsewhere", 404),
    ("POST", "/2018-06-01/runtime/invocation/other-id/response", 400),
])
def test_unknown_routes_and_ids(method: str, path: str, status: int) -> None:
    _, _, transport = drive(request(method, path))
    assert status_of(transport.written) == status


def test_pipelined_response_and_next_are_both_handled() -> None:
    data = request("POST", "/2018-06-01/runtime/invocation/req-1/response", b"1") + \
        request("GET", "/2018-06-01/runtime/invocation/next")
    env, connection, transport = drive(data)
    assert env.calls[0][0] == "response"
    assert env.parked == [connection]
    assert transport.written == b""  # the 202 waits for the event the worker asked for
    assert connection.send_event(b"Lambda-Runtime-Aws-Request-Id: req-2\r\n", b"{}")
    assert transport.written.count(b"HTTP/1.1 202") == 1
    assert transport.written.index(b"HTTP/1.1 202") < transport.written.index(b"HTTP/1.1 200")


def test_response_without_pipelined_next_is_answered_at_once() -> None:
    data = request("POST", "/2018-06-01/runtime/invocation/req-1/response", b"1")
    _, _, transport = drive(data)
    assert status_of(transport.written) == 202


def test_expect_continue_is_answered() -> None:
    data = request("POST", "/2018-06-01/runtime/invocation/req-1/response", b"",
                   "Expect: 100-continue\r\n")
    _, _, transport = drive(data)
    assert transport.written.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")


def test_malformed_http_gets_400_and_closes() -> None:
    _, _, transport = drive(b"\x00\x01 not http\r\n\r\n")
    assert status_of(transport.written) == 400
    assert transport.closed


def test_event_headers_keep_client_values_on_one_line() -> None:
    headers = event_headers("r", 1, "arn", "t", '{"a":\r\n1}', "{\n}")
    assert b'Lambda-Runtime-Client-Context: {"a":1}\r\n' in headers
    assert b"Lambda-Runtime-Cognito-Identity: {}\r\n" in headers


def test_a_response_is_answered_when_its_read_ends_without_a_whole_next() -> None:
    next_request = request("GET", "/2018-06-01/runtime/invocation/next")
    data = request("POST", "/2018-06-01/runtime/invocation/req-1/response", b"1") + \
        next_request[:10]
    env, connection, transport = drive(data)
    assert status_of(transport.written) == 202  # not held: the GET may never be completed
    connection.data_received(next_request[10:])
    assert env.parked == [connection]
