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


def decode_request(operation: OperationModel, labels: Mapping[str, str],
                   query: Mapping[str, list[str]], headers: Mapping[str, str],
                   body: bytes) -> dict[str, Any]:
    """Collect the input members of ``operation`` from every part of the request."""
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    payload_name = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in labels:
                params[name] = _scalar(member, labels[wire_name], name)
        elif location == "querystring":
            if wire_name in query:
                values = query[wire_name]
                if member.type_name == "list":
                    params[name] = values
                else:
                    params[name] = _scalar(member, values[-1], name)
        elif location == "header":
            value = headers.get(wire_name.lower())
            if value is not None:
                params[name] = _scalar(member, value, name)
        elif location == "headers":
            prefix = wire_name.lower()
            params[name] = {k[len(prefix):]: v for k, v in headers.items() if k.startswith(prefix)}
        elif name == payload_name:
            if member.type_name == "blob":
                params[name] = body
            elif body:
                params[name] = _from_json(member, _parse_json(body), name)
    if payload_name is None and body.strip():
        document = _parse_json(body)
        if not isinstance(document, dict):
            raise InvalidRequestContent("Could not parse request body into json: the body must "
                                        "be a JSON object")
        for name, member in shape.members.items():
            if member.serialization.get("location") is None and name in document:
                params[name] = _from_json(member, document[name], name)
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
    status = int(operation.http.get("responseCode", 200))
    headers: Headers = [(b"x-amzn-requestid", request_id.encode())]
    shape = operation.output_shape
    if shape is None:
        return Response(status, headers, b"")
    payload_name = shape.serialization.get("payload")
    body_members: dict[str, Any] = {}
    body = b""
    for name, member in shape.members.items():
        if name not in result or result[name] is None:
            continue
        value = result[name]
        location = member.serialization.get("location")
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            headers.append((member.serialization.get("name", name).lower().encode(),
                            str(value).encode()))
        elif name == payload_name:
            body = value if isinstance(value, bytes) else _dumps(_to_json(member, value))
        else:
            body_members[name] = _to_json(member, value)
    if payload_name is None:
        body = _dumps(body_members)
    content_type = b"application/json"
    headers.append((b"content-type", content_type))
    return Response(status, headers, body)


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
