"""What a handler may need from the HTTP request beyond its modeled members."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestInfo:
    request_id: str  # the x-amzn-RequestId of the response (and of the invocation)
    headers: Mapping[str, str]  # lower-case names


current_request: ContextVar[RequestInfo] = ContextVar("current_request")
