"""Version pick: AWS's random weighted routing and Turnout's sticky routing."""

from __future__ import annotations

import base64
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.invoke.routing import (
    AliasRoute,
    Target,
    pick_version,
    pick_version_sticky,
    route,
    routing_key_from,
    routing_point,
)

weights_st = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
keys_st = st.text(min_size=1, max_size=40)


@pytest.mark.parametrize(
    ("weights", "draw", "expected"),
    [
        ({}, 0.0, "1"),
        ({}, 0.999, "1"),
        ({"2": 0.3}, 0.0, "2"),
        ({"2": 0.3}, 0.299, "2"),
        ({"2": 0.3}, 0.3, "1"),
        ({"2": 0.3}, 0.999, "1"),
        ({"2": 0.0}, 0.0, "1"),
        ({"2": 1.0}, 0.999, "2"),
        ({"2": 0.2, "3": 0.3}, 0.1, "2"),
        ({"2": 0.2, "3": 0.3}, 0.4, "3"),
        ({"2": 0.2, "3": 0.3}, 0.5, "1"),
    ],
)
def test_pick_version_slices(weights: dict[str, float], draw: float, expected: str) -> None:
    assert pick_version("1", weights, draw) == expected


def test_weighted_alias_lands_within_binomial_bounds() -> None:
    """1,000 invocations of an alias weighted 0.3: within 5 standard deviations of 300."""
    rng = random.Random(20261124)
    hits = sum(pick_version("1", {"2": 0.3}, rng.random()) == "2" for _ in range(1000))
    sd = (1000 * 0.3 * 0.7) ** 0.5
    assert 300 - 5 * sd <= hits <= 300 + 5 * sd


@given(key=keys_st, weight=weights_st)
def test_sticky_is_a_function_of_the_key(key: str, weight: float) -> None:
    first = pick_version_sticky("1", {"2": weight}, key)
    assert all(pick_version_sticky("1", {"2": weight}, key) == first for _ in range(3))


@given(key=keys_st, low=weights_st, high=weights_st)
def test_raising_the_weight_only_moves_keys_to_the_additional_version(
        key: str, low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    if pick_version_sticky("1", {"2": low}, key) == "2":
        assert pick_version_sticky("1", {"2": high}, key) == "2"
    if pick_version_sticky("1", {"2": high}, key) == "1":
        assert pick_version_sticky("1", {"2": low}, key) == "1"


@settings(max_examples=20)
@given(weight=st.floats(min_value=0.05, max_value=0.95), prefix=st.text(max_size=8))
def test_sticky_distribution_follows_the_weight(weight: float, prefix: str) -> None:
    n = 2000
    hits = sum(pick_version_sticky("1", {"2": weight}, f"{prefix}user-{i}") == "2"
               for i in range(n))
    sd = (n * weight * (1 - weight)) ** 0.5
    assert abs(hits - n * weight) <= 6 * sd


@given(key=keys_st)
def test_routing_point_is_in_unit_interval(key: str) -> None:
    assert 0.0 <= routing_point(key) < 1.0


def _context(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    ("header", "client_context", "expected"),
    [
        (None, None, None),
        ("user-7", None, "user-7"),
        ("user-7", _context({"custom": {"turnout-routing-key": "other"}}), "user-7"),
        ("", _context({"custom": {"turnout-routing-key": "user-9"}}), "user-9"),
        (None, _context({"custom": {"turnout-routing-key": "user-9"}}), "user-9"),
        (None, _context({"custom": {"turnout-routing-key": ""}}), None),
        (None, _context({"custom": {"turnout-routing-key": 42}}), None),
        (None, _context({"custom": "not a map"}), None),
        (None, _context({"client": {}}), None),
        (None, _context(["a", "list"]), None),
        (None, "%%% not base64 %%%", None),
        (None, base64.b64encode(b"{not json").decode(), None),
    ],
)
def test_routing_key_from(header: str | None, client_context: str | None,
                          expected: str | None) -> None:
    assert routing_key_from(header, client_context) == expected


@pytest.mark.parametrize(
    ("qualifier", "alias", "draw", "key", "expected"),
    [
        (None, None, 0.0, None, Target("orders", None, "$LATEST", "orders")),
        ("$LATEST", None, 0.0, None, Target("orders", "$LATEST", "$LATEST", "orders:$LATEST")),
        ("4", None, 0.0, None, Target("orders", "4", "4", "orders:4")),
        ("live", AliasRoute("3", {}), 0.0, None, Target("orders", "live", "3", "orders:live")),
        ("live", AliasRoute("3", {"4": 0.5}), 0.2, None,
         Target("orders", "live", "4", "orders:live")),
        ("live", AliasRoute("3", {"4": 0.5}), 0.7, None,
         Target("orders", "live", "3", "orders:live")),
        ("live", AliasRoute("3", {"4": 1.0}), 0.99, "anyone",
         Target("orders", "live", "4", "orders:live")),
        ("live", AliasRoute("3", {"4": 0.0}), 0.0, "anyone",
         Target("orders", "live", "3", "orders:live")),
    ],
)
def test_route(qualifier: str | None, alias: AliasRoute | None, draw: float, key: str | None,
               expected: Target) -> None:
    assert route("orders", qualifier, alias, draw, key) == expected


def test_route_with_a_key_ignores_the_draw() -> None:
    alias = AliasRoute("3", {"4": 0.5})
    versions = {route("orders", "live", alias, draw, "user-1").executed_version
                for draw in (0.0, 0.25, 0.5, 0.75, 0.99)}
    assert len(versions) == 1
