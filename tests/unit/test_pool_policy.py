"""Pool policy: which idle environment to reuse, evict and reap (pure functions)."""

from __future__ import annotations

import pytest

from turnout.pool.policy import (
    Candidate,
    choose_evictions,
    choose_reaps,
    next_reap_delay,
    pick_warm,
)


def idle(*pairs: tuple[str, float]) -> list[Candidate]:
    return [Candidate(env_id, last_used) for env_id, last_used in pairs]


@pytest.mark.parametrize(("candidates", "expected"), [
    (idle(), None),
    (idle(("a", 1.0)), "a"),
    (idle(("a", 1.0), ("b", 3.0), ("c", 2.0)), "b"),  # most recently used first
    (idle(("a", 5.0), ("b", 5.0)), "b"),  # ties broken by id, deterministically
])
def test_pick_warm_reuses_the_most_recently_used(candidates: list[Candidate],
                                                 expected: str | None) -> None:
    assert pick_warm(candidates) == expected


@pytest.mark.parametrize(("candidates", "live", "limit", "starting", "expected"), [
    (idle(("a", 1.0)), 1, 4, 1, []),  # room left: nothing to evict
    (idle(("a", 1.0), ("b", 0.5)), 4, 4, 1, ["b"]),  # full: the stalest goes
    (idle(("a", 1.0), ("b", 0.5), ("c", 2.0)), 5, 4, 1, ["b", "a"]),  # over: stalest two
    (idle(("a", 1.0)), 4, 4, 2, None),  # not enough idle environments to make room
    (idle(), 4, 4, 1, None),  # all busy
    (idle(), 0, 1, 1, []),
])
def test_choose_evictions_stalest_first(candidates: list[Candidate], live: int, limit: int,
                                        starting: int, expected: list[str] | None) -> None:
    assert choose_evictions(candidates, live, limit, starting) == expected


@pytest.mark.parametrize(("now", "keep_alive", "expected"), [
    (10.0, 300.0, []),
    (301.0, 300.0, ["old"]),
    (400.0, 300.0, ["old"]),
    (500.0, 300.0, ["old", "new"]),  # exactly at the keep-alive counts as expired
    (200.0, 0.0, ["old", "new"]),
])
def test_choose_reaps_after_keep_alive(now: float, keep_alive: float,
                                       expected: list[str]) -> None:
    assert choose_reaps(idle(("old", 0.0), ("new", 200.0)), now, keep_alive) == expected


@pytest.mark.parametrize(("candidates", "now", "expected"), [
    (idle(), 0.0, 1.0),  # nothing idle: the ceiling
    (idle(("a", 0.0)), 9.5, 0.5),  # expires in half a second
    (idle(("a", 0.0)), 20.0, 0.0),  # already expired
    (idle(("a", 5.0), ("b", 9.9)), 10.0, 1.0),  # soonest is beyond the ceiling
])
def test_next_reap_delay(candidates: list[Candidate], now: float, expected: float) -> None:
    assert next_reap_delay(candidates, now, 10.0) == pytest.approx(expected)
