"""Turnout's own endpoints beside the Lambda API: health, metrics, stored code.

``GET /metrics`` is the Prometheus text format; ``GET /_turnout/metrics``
answers the per-minute, per-version JSON query that ``turnout metrics`` and
automatic deployments read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from turnout.api.codec import Response
from turnout.api.handlers import code
from turnout.errors import InvalidParameterValue

if TYPE_CHECKING:
    from turnout.api.app import ExtraRoute
    from turnout.platform import Platform

JSON = (b"content-type", b"application/json")
PROMETHEUS = (b"content-type", b"text/plain; version=0.0.4; charset=utf-8")


async def _health(platform: Platform, query: dict[str, list[str]]) -> Response:
    return Response(200, [JSON], b'{"status":"ok"}')


async def _prometheus(platform: Platform, query: dict[str, list[str]]) -> Response:
    return Response(200, [PROMETHEUS], platform.metrics.render_prometheus().encode())


def _number(query: dict[str, list[str]], name: str) -> float | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return float(values[-1])
    except ValueError:
        raise InvalidParameterValue(f"{name} must be a number, not {values[-1]!r}.") from None


async def _metrics_query(platform: Platform, query: dict[str, list[str]]) -> Response:
    """``?function=NAME[&resource=NAME:QUALIFIER][&since=EPOCH][&until=EPOCH][&period=60]``"""
    function = (query.get("function") or [""])[-1]
    if not function:
        raise InvalidParameterValue("The query parameter function is required.")
    resources = query.get("resource")
    resource = resources[-1] if resources else None
    period = _number(query, "period")
    result = platform.metrics.query(function, resource, since=_number(query, "since"),
                                    until=_number(query, "until"),
                                    period=int(period) if period is not None else 60)
    return Response(200, [JSON], orjson.dumps(result))


def extra_routes() -> dict[tuple[str, str], ExtraRoute]:
    return {("GET", "/_turnout/health"): _health,
            ("GET", "/metrics"): _prometheus,
            ("GET", "/_turnout/metrics"): _metrics_query,
            ("GET", code.PATH): code.download_code}
