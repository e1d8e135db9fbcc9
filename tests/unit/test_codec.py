"""Our codec against botocore's own serializer and parser, for every operation of the model.

Requests are built by botocore's rest-json serializer and decoded by our codec;
responses are encoded by our codec and parsed by botocore's parser. Both must
give back the members we started from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from botocore.awsrequest import HTTPHeaders
from botocore.model import Shape, StructureShape
from botocore.parsers import RestJSONParser
from botocore.serialize import RestJSONSerializer

from turnout.api.codec import decode_request, encode_error, encode_response
from turnout.api.spec import load_spec
from turnout.errors import TooManyRequests

SPEC = load_spec()
OPERATIONS = sorted(SPEC.model.operation_names)
WHEN = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


def example(shape: Shape, name: str = "x", depth: int = 0) -> Any:
    """A value of ``shape`` that survives a round trip (no constraints checked)."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if depth > 3 or shape.metadata.get("union"):
            return {}
        return {member_name: example(member, member_name, depth + 1)
                for member_name, member in shape.members.items()
                if (not member.metadata.get("eventstream")
                and member.type_name != "structure") or depth < 3}
    if kind == "list":
        return [example(shape.member, name, depth + 1)]  # type: ignore[attr-defined]
    if kind == "map":
        return {"key1": example(shape.value, name, depth + 1)}  # type: ignore[attr-defined]
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 7))
    if kind in ("float", "double"):
        return 0.25
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return WHEN
    if kind == "blob":
        return b"\x00\x01payload"
    enum = shape.metadata.get("enum")
    return enum[0] if enum else f"v-{name}"


def _headers(pairs: list[tuple[bytes, bytes]]) -> HTTPHeaders:
    headers = HTTPHeaders()
    for key, value in pairs:
        headers[key.decode()] = value.decode()
    return headers


def _comparable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if v != {} and v is not None}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if hasattr(value, "read"):
        return value.read()
    return value


@pytest.mark.parametrize("name", OPERATIONS)
def test_requests_serialized_by_botocore_decode_to_the_same_members(name: str) -> None:
    operation = SPEC.model.operation_model(name)
    if operation.input_shape is None or operation.has_event_stream_input:
        pytest.skip("no input members")
    params = example(operation.input_shape)
    request = RestJSONSerializer().serialize_to_request(params, operation)
    path = request["url_path"]
    query = {k: v if isinstance(v, list) else [str(v)] for k, v in request["query_string"].items()}
    if "?" in path:  # literal query parts in the request URI
        path, _, literal = path.partition("?")
        for key, values in parse_qs(literal, keep_blank_values=True).items():
            query.setdefault(key, values)
    query = {k: [str(item).lower() if isinstance(item, bool) else str(item) for item in v]
             for k, v in query.items()}
    matched = SPEC.match(request["method"], quote(path, safe="/%"), query)
    assert matched is not None and matched[0].name == name
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else str(v)
               for k, v in request["headers"].items()}
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    decoded = decode_request(operation, matched[1], query, headers, body)
    assert _comparable(decoded) == _comparable(params)


@pytest.mark.parametrize("name", OPERATIONS)
def test_responses_we_encode_parse_in_botocore_to_the_same_members(name: str) -> None:
    operation = SPEC.model.operation_model(name)
    if operation.output_shape is None or operation.has_event_stream_output:
        pytest.skip("no output members")
    result = example(operation.output_shape)
    response = encode_response(operation, result, "req-1")
    parsed = RestJSONParser().parse(
        {"status_code": response.status, "body": response.body,
         "headers": _headers(response.headers)},
        operation.output_shape)
    parsed.pop("ResponseMetadata", None)
    expected = dict(result)
    if "StatusCode" in expected and operation.output_shape.members["StatusCode"].serialization.get(
            "location") == "statusCode":
        assert response.status == expected.pop("StatusCode")
        parsed.pop("StatusCode", None)
    assert _comparable(parsed) == _comparable(expected)


def test_errors_carry_modeled_fields_where_the_model_puts_them() -> None:
    error = TooManyRequests("Rate Exceeded.",
                            Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
                            retryAfterSeconds="1")
    response = encode_error(error, 429, SPEC.error_shape("TooManyRequestsException"), "req-2")
    wire = {"status_code": 429, "body": response.body, "headers": _headers(response.headers)}
    shape = SPEC.error_shape("TooManyRequestsException")
    generic = RestJSONParser().parse(wire, SPEC.model.operation_model("Invoke").output_shape)
    modeled = RestJSONParser().parse(wire, shape)
    assert generic["Error"]["Code"] == "TooManyRequestsException"
    assert generic["Error"]["Message"] == "Rate Exceeded."
    assert modeled["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert modeled["retryAfterSeconds"] == "1"
    assert modeled["Type"] == "User"
