"""Turnout's Python runtime on the wire: head parsing, the Runtime API client, JSON in and out."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest

from turnout.bootstrap.runtime import decode_event, encode_json, invoke
from turnout.bootstrap.runtime_client import (
    NEXT_REQUEST,
    RuntimeApiClient,
    answer_request,
    content_length,
    parse_headers,
    parse_status,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:F:live"
EVENT_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
              b"Lambda-Runtime-Aws-Request-Id: Req-1\r\n"
              b"Lambda-Runtime-Deadline-Ms: 1700000000000\r\n"
              b"Lambda-Runtime-Invoked-Function-Arn: %s\r\n"
              b"Lambda-Runtime-Trace-Id: Root=1-a;Sampled=0") % ARN.encode()
ACCEPTED = (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n"
            b"\r\n{\"status\":\"OK\"}")


@pytest.mark.parametrize(("head", "name", "value"), [
    (EVENT_HEAD, "lambda-runtime-aws-request-id", "Req-1"),
    (EVENT_HEAD, "lambda-runtime-deadline-ms", "1700000000000"),
    (EVENT_HEAD, "lambda-runtime-invoked-function-arn", ARN),
    (EVENT_HEAD, "lambda-runtime-trace-id", "Root=1-a;Sampled=0"),
    (EVENT_HEAD, "content-length", "7"),
    (EVENT_HEAD, "lambda-runtime-client-context", None),
    (EVENT_HEAD, "lambda-runtime-cognito-identity", None),
    (b"HTTP/1.1 200 OK\r\nLAMBDA-RUNTIME-AWS-REQUEST-ID: abc", "lambda-runtime-aws-request-id",
     "abc"),
    (b"HTTP/1.1 200 OK\r\nlambda-runtime-trace-id:Root=1-b", "lambda-runtime-trace-id", "Root=1-b"),
    (b"HTTP/1.1 200 OK\r\nLambda-Runtime-Client-Context: \t{\"custom\": {\"a\": \"b\"}}  ",
     "lambda-runtime-client-context", '{"custom": {"a": "b"}}'),
    (b"HTTP/1.1 200 OK\r\nlambda-runtime-cognito-IDENTITY: {\"cognitoIdentityId\": \"i\"}",
     "lambda-runtime-cognito-identity", '{"cognitoIdentityId": "i"}'),
    (b"HTTP/1.1 200 OK\r\nX-Empty:", "x-empty", ""),
    (b"HTTP/1.1 200 OK", "content-length", None),
])
def test_headers_are_found_whatever_the_case_of_their_names(head: bytes, name: str,
                                                            value: str | None) -> None:
    assert parse_headers(head).get(name) == value


def test_the_status_line_is_not_a_header() -> None:
    assert list(parse_headers(b"HTTP/1.1 200 OK\r\nA: 1")) == ["a"]
    assert parse_status(b"HTTP/1.1 202 Accepted\r\nA: 1") == 202
    assert parse_status(b"HTTP/1.1 404 Not Found") == 404


@pytest.mark.parametrize(("head", "length"), [
    (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15", 15),
    (b"HTTP/1.1 202 Accepted\r\ncontent-length:3\r\nX: y", 3),
    (b"HTTP/1.1 202 Accepted\r\nCONTENT-LENGTH:  12 ", 12),
    (b"HTTP/1.1 202 Accepted\r\nX-Content-Length: 9", 0),
    (b"HTTP/1.1 204 No Content", 0),
])
def test_content_length(head: bytes, length: int) -> None:
    assert content_length(head) == length


@pytest.mark.parametrize("body", [
    b"{}", b'{"a": [1, 2.5, null, true]}', b'"text"', b"17", b"null", b'[{"k": "\\u00e9"}]',
    b' {"padded": 1}\n', b'\t[]', '{"é": "ü"}'.encode(),
])
def test_events_decode_as_json_loads_does(body: bytes) -> None:
    assert decode_event(body) == json.loads(body.decode())


def test_an_empty_event_is_an_empty_object() -> None:
    assert decode_event(b"") == {}


@pytest.mark.parametrize("body", [b"{not json", b"{} extra", b"[1,", b" ", "\ufeff{}".encode(),
                                  b"\xff"])
def test_undecodable_events_fail_as_json_loads_does(body: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(body.decode())
    with pytest.raises(ValueError) as caught:
        decode_event(body)
    assert (type(caught.value), str(caught.value)) == (type(expected.value), str(expected.value))


@pytest.mark.parametrize("value", [
    {"hello": "world"}, [1, 2.5, None, True, False], "é", 3, 1e300, math.nan, -math.inf, None,
    {"nested": {"list": [{"a": []}]}}, {1: "int key", 2.5: "float key", None: 0},
])
def test_answers_encode_as_json_dumps_does(value: Any) -> None:
    assert encode_json(value) == json.dumps(value).encode()


def circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize("value", [{1, 2}, circular(), {"k": circular()}, {(1, 2): 3},
                                   [object()]])
def test_unencodable_answers_fail_as_json_dumps_does(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)) as expected:
        json.dumps(value)
    with pytest.raises((TypeError, ValueError)) as caught:
        encode_json(value)
    assert (type(caught.value), str(caught.value)) == (type(expected.value), str(expected.value))


def test_a_failed_encoding_leaves_nothing_behind() -> None:
    inner: list[Any] = [[], {1}]  # fails inside ``inner``, after entering it
    with pytest.raises(TypeError):
        encode_json([inner])
    inner.pop()
    assert encode_json([inner]) == b"[[[]]]"  # not "Circular reference detected"


@pytest.mark.parametrize(("error_type", "expected"), [
    (None, b"POST /2018-06-01/runtime/invocation/r-1/response HTTP/1.1\r\nHost: runtime\r\n"
           b"Content-Length: 2\r\n\r\n{}"),
    ("KeyError", b"POST /2018-06-01/runtime/invocation/r-1/error HTTP/1.1\r\nHost: runtime\r\n"
                 b"Content-Length: 2\r\nLambda-Runtime-Function-Error-Type: KeyError\r\n\r\n{}"),
])
def test_answers_are_posted_to_the_invocation(error_type: str | None, expected: bytes) -> None:
    assert answer_request("r-1", b"{}", error_type) == expected


class FakeSocket:
    """What the client uses of a socket: ``sendall`` and ``recv_into``, fed fixed chunks."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.sent: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sent.append(data)

    def recv_into(self, buffer: memoryview) -> int:
        if not self.chunks:
            raise AssertionError("the client read past what the platform sent")
        chunk = self.chunks.pop(0)
        buffer[:len(chunk)] = chunk
        return len(chunk)


def event(request_id: str, payload: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nLambda-Runtime-Aws-Request-Id: %s\r\n\r\n%s"
            % (len(payload), request_id.encode(), payload))


def client_reading(stream: bytes, size: int) -> tuple[RuntimeApiClient, FakeSocket]:
    sock = FakeSocket([stream[at:at + size] for at in range(0, len(stream), size)])
    client = RuntimeApiClient("127.0.0.1:9")
    client._sock = sock  # type: ignore[assignment]
    return client, sock


@pytest.mark.parametrize("size", [1, 2, 5, 16, 100, 10_000])
def test_events_are_read_however_the_stream_is_cut(size: int) -> None:
    big = b'"' + b"x" * 3000 + b'"'
    stream = event("one", b"{}") + ACCEPTED + event("two", big) + ACCEPTED + event("three", b"")
    client, sock = client_reading(stream, size)
    first = client.next_event()
    second = client.next_event(b"POST 1")
    third = client.next_event(b"POST 2")
    assert [(headers["lambda-runtime-aws-request-id"], body)
            for headers, body in (first, second, third)] == [("one", b"{}"), ("two", big),
                                                            ("three", b"")]
    assert sock.sent == [NEXT_REQUEST, b"POST 1" + NEXT_REQUEST, b"POST 2" + NEXT_REQUEST]
    assert sock.chunks == []


def test_a_request_reads_its_status_headers_and_body() -> None:
    client, sock = client_reading(ACCEPTED, 7)
    assert client.request("POST", "/2018-06-01/runtime/init/error", b"{}", {"X": "y"}) == (
        202, {"content-type": "application/json", "content-length": "15"}, b'{"status":"OK"}')
    assert sock.sent == [b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: runtime\r\n"
                         b"Content-Length: 2\r\nX: y\r\n\r\n{}"]


@pytest.mark.parametrize(("extra", "client_context", "identity"), [
    ({}, None, (None, None)),
    ({"lambda-runtime-client-context":
      '{"client": {"installation_id": "inst", "app_title": "t"}, "custom": {"k": "v"}, '
      '"env": {"platform": "p"}}'},
     ("inst", "t", {"k": "v"}, {"platform": "p"}), (None, None)),
    ({"lambda-runtime-cognito-identity":
      '{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}'},
     None, ("id-1", "pool-1")),
])
def test_the_context_comes_from_the_events_headers(extra: dict[str, str],
                                                   client_context: tuple[Any, ...] | None,
                                                   identity: tuple[str | None, str | None],
                                                   ) -> None:
    seen: list[Any] = []
    deadline = int(time.time() * 1000) + 60_000
    head = parse_headers(b"HTTP/1.1 200 OK\r\nLAMBDA-RUNTIME-DEADLINE-MS: %d\r\n"
                         b"Lambda-Runtime-Invoked-Function-Arn: arn:x\r\n" % deadline)
    invoke(lambda event, context: seen.append(context), "req", {**head, **extra}, b"{}")
    context = seen[0]
    assert (context.aws_request_id, context.invoked_function_arn) == ("req", "arn:x")
    assert 0 < context.get_remaining_time_in_millis() <= 60_000
    if client_context is None:
        assert context.client_context is None
    else:
        mobile = context.client_context
        assert (mobile.client.installation_id, mobile.client.app_title, mobile.custom,
                mobile.env) == client_context
    assert (context.identity.cognito_identity_id,
            context.identity.cognito_identity_pool_id) == identity


def test_a_malformed_identity_header_fails_the_invocation_before_the_handler(
        capsys: pytest.CaptureFixture[str]) -> None:
    called: list[object] = []
    reply, error_type = invoke(lambda event, context: called.append(event), "req",
                               {"lambda-runtime-cognito-identity": "{nope"}, b"{}")
    assert error_type == "JSONDecodeError"
    assert called == []
    assert json.loads(reply)["requestId"] == "req"
