"""Turnout's own endpoints beside the Lambda API (metrics, queue): not part of the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from turnout.api.codec import Response
from turnout.api.handlers import code

if TYPE_CHECKING:
    from turnout.api.app import ExtraRoute
    from turnout.platform import Platform


async def _health(platform: Platform, query: dict[str, list[str]]) -> Response:
    return Response(200, [(b"content-type", b"application/json")], b'{"status":"ok"}')


def extra_routes() -> dict[tuple[str, str], ExtraRoute]:
    return {("GET", "/_turnout/health"): _health, ("GET", code.PATH): code.download_code}
