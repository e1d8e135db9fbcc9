"""Handlers bound to the model's operation names.

A handler receives the platform and the decoded input members of its
operation (names as in the model's input shape; blobs as ``bytes``) and returns
the members of the output shape. The codec puts each member where the model
says (status code, headers, body); errors are ``turnout.errors.LambdaError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from turnout.platform import Platform

Params = dict[str, Any]
Handler = Callable[["Platform", Params], Awaitable[Params]]

_HANDLERS: dict[str, Handler] = {}


def handles(operation: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of the model operation ``operation``."""

    def register(fn: Handler) -> Handler:
        if operation in _HANDLERS:
            raise RuntimeError(f"two handlers for {operation}")
        _HANDLERS[operation] = fn
        return fn

    return register


def handler_for(operation: str) -> Handler | None:
    return _HANDLERS.get(operation)


def implemented() -> frozenset[str]:
    return frozenset(_HANDLERS)
