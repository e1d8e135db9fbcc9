"""rest-json in and out, driven by the operation's input and output shapes.

Request: URI labels, query string, headers and the JSON body (or a blob
payload) become one ``params`` dict keyed by member name. Response: each
output member goes where the model puts it (status code, header, payload or
JSON body). Errors: ``X-Amzn-ErrorType`` and a JSON body with the error
shape's members (``Type``, ``message``/``Message``, modeled fields).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from botocore.model import OperationModel, Shape, StructureShape

from turnout.errors import InvalidRequestContent, LambdaError, ValidationError

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Headers
    body: bytes


@dataclass(frozen=True, slots=True)
class _Field:
    """Where one member of a structure travels, read from the model once."""

    name: str
    shape: Shape
    wire_name: str  # its name on the wire, lower-case for headers
    is_text: bool  # a string: taken from the wire as it is


@dataclass(frozen=True, slots=True)
class _Plan:
    """The members of a structure grouped by where they travel (one per shape)."""

    labels: tuple[_Field, ...]  # URI labels
    query: tuple[_Field, ...]  # query-string parameters
    headers: tuple[_Field, ...]  # one header each
    header_maps: tuple[_Field, ...]  # every header with a prefix
    status: _Field | None  # the HTTP status code (responses)
    payload: _Field | None  # the whole body (blob or structure); None: a JSON body
    body: tuple[_Field, ...]  # members of a JSON body


@cache
def _plan(shape: StructureShape) -> _Plan:
    groups: dict[str | None, list[_Field]] = {}
    payload_name = shape.serialization.get("payload")
    payload = None
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location in ("header", "headers"):
            wire_name = wire_name.lower()
        field = _Field(name, member, wire_name, member.type_name == "string")
        if location is None and name == payload_name:
            payload = field
        else:
            groups.setdefault(location, []).append(field)
    status = groups.get("statusCode", [None])[0]
    return _Plan(tuple(groups.get("uri", ())), tuple(groups.get("querystring", ())),
                 tuple(groups.get("header", ())), tuple(groups.get("headers", ())), status,
                 payload, tuple(groups.get(None, ())))


def decode_request(operation: OperationModel, labels: Mapping[str, str],
                   query: Mapping[str, list[str]], headers: Mapping[str, str],
                   body: bytes) -> dict[str, Any]:
    """Collect the input members of ``operation`` from every part of the request."""
    shape = operation.input_shape
    if shape is None:
        return {}
    plan = _plan(shape)
    params: dict[str, Any] = {}
    for field in plan.labels:
        text = labels.get(field.wire_name)
        if text is not None:
            params[field.name] = text if field.is_text else _scalar(field.shape, text, field.name)
    if query:
        for field in plan.query:
            values = query.get(field.wire_name)
            if values is None:
                continue
            if field.shape.type_name == "list":
                params[field.name] = values
            else:
                params[field.name] = _scalar(field.shape, values[-1], field.name)
    for field in plan.headers:
        text = headers.get(field.wire_name)
        if text is not None:
            params[field.name] = text if field.is_text else _scalar(field.shape, text, field.name)
    for field in plan.header_maps:
        prefix = field.wire_name
        params[field.name] = {k[len(prefix):]: v for k, v in headers.items()
                              if k.startswith(prefix)}
    payload = plan.payload
    if payload is not None:
        if payload.shape.type_name == "blob":
            params[payload.name] = body
        elif body:
            params[payload.name] = _from_json(payload.shape, _parse_json(body), payload.name)
    elif body.strip():
        document = _parse_json(body)
        if not isinstance(document, dict):
            raise InvalidRequestContent("Could not parse request body into json: the body must "
                                        "be a JSON object")
        for field in plan.body:
            if field.name in document:
                params[field.name] = _from_json(field.shape, document[field.name], field.name)
    return params


def _parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {error}"
        ) from None


def _scalar(shape: Shape, text: str, name: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise ValidationError(f"1 validation error detected: Value '{text}' at '{_camel(name)}' "
                              f"failed to satisfy constraint: Member must be a number") from None
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "timestamp":
        return _timestamp_in(text, name)
    return text


def _from_json(shape: Shape, value: Any, name: str) -> Any:
    """Convert a JSON value to Python per its shape (blobs are base64 on the wire)."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        return {k: _from_json(shape.members[k], v, k) for k, v in value.items()
                if k in shape.members}
    if kind == "list" and isinstance(value, list):
        return [_from_json(shape.member, item, name) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _from_json(shape.value, v, name) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestContent(
                f"Could not parse request body into json: Could not parse payload into json: "
                f"'{name}' is not valid base64") from None
    if kind == "timestamp":
        return _timestamp_in(value, name)
    if kind in ("structure", "list", "map") or (kind == "string" and not isinstance(value, str)):
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: "
            f"unexpected value for '{name}'")
    return value


def _timestamp_in(value: Any, name: str) -> dt.datetime:
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and
                                              value.replace(".", "", 1).isdigit()):
            return dt.datetime.fromtimestamp(float(value), dt.UTC)
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{_camel(name)}' "
                              "failed to satisfy constraint: Member must be a timestamp") from None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def encode_response(operation: OperationModel, result: Mapping[str, Any], request_id: str,
                    ) -> Response:
    status = _status(operation)
    headers: Headers = [(b"x-amzn-requestid", request_id.encode())]
    shape = operation.output_shape
    if shape is None:
        return Response(status, headers, b"")
    plan = _plan(shape)
    if plan.status is not None and result.get(plan.status.name) is not None:
        status = int(result[plan.status.name])
    for field in plan.headers:
        value = result.get(field.name)
        if value is not None:
            headers.append((field.wire_name.encode(), str(value).encode()))
    headers.append((b"content-type", b"application/json"))
    payload = plan.payload
    if payload is None:
        document = {field.name: _to_json(field.shape, result[field.name]) for field in plan.body
                    if result.get(field.name) is not None}
        return Response(status, headers, _dumps(document))
    value = result.get(payload.name)
    if value is None:
        return Response(status, headers, b"")
    body = value if isinstance(value, bytes) else _dumps(_to_json(payload.shape, value))
    return Response(status, headers, body)


@cache
def _status(operation: OperationModel) -> int:
    return int(operation.http.get("responseCode", 200))


def _to_json(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        assert isinstance(shape, StructureShape)
        return {k: _to_json(shape.members[k], v) for k, v in value.items()
                if k in shape.members and v is not None}
    if kind == "list":
        return [_to_json(shape.member, item) for item in value]
    if kind == "map":
        return {k: _to_json(shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if kind == "timestamp" and isinstance(value, dt.datetime):
        return value.timestamp()
    return value


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def encode_error(error: LambdaError, status: int, error_shape: Shape | None,
                 request_id: str) -> Response:
    """AWS's error response: the type in ``X-Amzn-ErrorType``, the shape's members as JSON."""
    headers: Headers = [(b"x-amzn-requestid", request_id.encode()),
                        (b"x-amzn-errortype", error.shape.encode()),
                        (b"content-type", b"application/json")]
    body: dict[str, Any] = {"Type": "User" if status < 500 else "Service"}
    message_key = "message"
    if isinstance(error_shape, StructureShape):
        for name, member in error_shape.members.items():
            if name.lower() == "message":
                message_key = name
            elif name in error.fields and error.fields[name] is not None:
                if member.serialization.get("location") == "header":
                    headers.append((member.serialization.get("name", name).lower().encode(),
                                    str(error.fields[name]).encode()))
                else:
                    body[name] = error.fields[name]
    else:
        body.update({k: v for k, v in error.fields.items() if v is not None})
    body[message_key] = error.message
    return Response(status, headers, _dumps(body))
