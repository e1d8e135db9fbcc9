"""Pool decisions as pure functions: which idle environment to reuse, evict or reap.

They see environments only as ``Candidate`` records (an id and when it was last
used, on the monotonic clock), so they are tested with plain case tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    env_id: str
    last_used: float  # monotonic seconds


def pick_warm(idle: Sequence[Candidate]) -> str | None:
    """Reuse the most recently used idle environment (its caches are the warmest)."""
    if not idle:
        return None
    return max(idle, key=lambda c: (c.last_used, c.env_id)).env_id


def choose_evictions(idle: Sequence[Candidate], live: int, limit: int, starting: int = 1,
                     ) -> list[str] | None:
    """Idle environments to stop so that ``starting`` more fit under ``limit``.

    The stalest go first. ``None`` when even stopping every idle one is not enough.
    """
    excess = live + starting - limit
    if excess <= 0:
        return []
    if excess > len(idle):
        return None
    stalest = sorted(idle, key=lambda c: (c.last_used, c.env_id))
    return [c.env_id for c in stalest[:excess]]


def choose_reaps(idle: Sequence[Candidate], now: float, keep_alive_s: float) -> list[str]:
    """Idle environments unused for at least ``keep_alive_s`` seconds."""
    return [c.env_id for c in idle if now - c.last_used >= keep_alive_s]


def next_reap_delay(idle: Sequence[Candidate], now: float, keep_alive_s: float,
                    ceiling_s: float = 1.0) -> float:
    """How long the reaper may sleep before an idle environment can expire."""
    if not idle:
        return ceiling_s
    soonest = min(c.last_used for c in idle) + keep_alive_s - now
    return min(ceiling_s, max(soonest, 0.0))
