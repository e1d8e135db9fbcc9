"""``Invoke`` and the legacy ``InvokeAsync``.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: ``RequestResponse``
runs and answers 200 with the function's payload (a function error is still a
200, with ``X-Amz-Function-Error``); ``Event`` answers 202 once the event is
durable; ``DryRun`` answers 204 after the checks.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import orjson

from turnout.api.context import current_request
from turnout.api.registry import Params, handles
from turnout.errors import InvalidRequestContent
from turnout.events.service import EVENT_PAYLOAD_LIMIT, INVOKE_ASYNC_PAYLOAD_LIMIT
from turnout.invoke.routing import ROUTING_KEY_HEADER, routing_key_from

if TYPE_CHECKING:
    from turnout.platform import Platform

def _checked_payload(payload: bytes | None) -> bytes:
    """Lambda accepts only JSON payloads; an empty one reaches the function as ``{}``."""
    if not payload:
        return b"{}"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {error}"
        ) from None
    return payload


def _client_context(encoded: str | None) -> str | None:
    """``X-Amz-Client-Context`` is base64 of a JSON object; the runtime receives the JSON."""
    if encoded is None:
        return None
    try:
        text = base64.b64decode(encoded, validate=True).decode()
        if isinstance(orjson.loads(text), dict):
            return text
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidRequestContent("Client context must be a valid Base64-encoded JSON object.")


async def _enqueue(platform: Platform, function_name: str, qualifier: str | None,
                   payload: bytes, limit: int) -> None:
    resolved = platform.invoker.resolve(function_name, qualifier)
    await platform.events.accept(resolved.function_name, resolved.qualifier,
                                 _checked_payload(payload), current_request.get().request_id,
                                 limit)


@handles("Invoke")
async def invoke(platform: Platform, params: Params) -> Params:
    kind = params.get("InvocationType", "RequestResponse")
    if kind == "Event":
        await _enqueue(platform, params["FunctionName"], params.get("Qualifier"),
                       params.get("Payload") or b"", EVENT_PAYLOAD_LIMIT)
        return {"StatusCode": 202}
    resolved = platform.invoker.resolve(params["FunctionName"], params.get("Qualifier"))
    payload = _checked_payload(params.get("Payload"))
    if kind == "DryRun":
        return {"StatusCode": 204}
    request = current_request.get()
    client_context = params.get("ClientContext")
    routing_key = routing_key_from(request.headers.get(ROUTING_KEY_HEADER.lower()),
                                   client_context)
    result = await platform.invoker.run(resolved, payload, request_id=request.request_id,
                                        client_context=_client_context(client_context),
                                        routing_key=routing_key)
    response: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": result.executed_version,
                                "Payload": result.payload}
    if result.function_error is not None:
        response["FunctionError"] = result.function_error
    if params.get("LogType") == "Tail":
        response["LogResult"] = base64.b64encode(result.log_tail).decode()
    return response


@handles("InvokeAsync")
async def invoke_async(platform: Platform, params: Params) -> Params:
    """The deprecated asynchronous call: 202 with ``Status`` once the event is durable."""
    await _enqueue(platform, params["FunctionName"], None, params.get("InvokeArgs") or b"",
                   INVOKE_ASYNC_PAYLOAD_LIMIT)
    return {"Status": 202}
