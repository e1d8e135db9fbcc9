"""The named states of an execution environment and the moves allowed between them.

    STARTING ──▶ INITIALIZING ──▶ IDLE ⇄ BUSY
        │              │            │      │
        └──────────────┴────────────┴──────┴──▶ DEAD

STARTING: the process is being created. INITIALIZING: it runs the function's
Init until its first ``GET /next``. IDLE: parked on ``/next``, reusable.
BUSY: running one invocation. DEAD: gone (every state can die).
"""

from __future__ import annotations

import enum

from turnout.states import move


class EnvState(enum.Enum):
    STARTING = "STARTING"
    INITIALIZING = "INITIALIZING"
    IDLE = "IDLE"
    BUSY = "BUSY"
    DEAD = "DEAD"

    # Members are singletons: hash them by identity. (Enum's own __hash__ is Python code,
    # run on every transition check, i.e. twice per invocation.)
    __hash__ = object.__hash__


TRANSITIONS: dict[EnvState, frozenset[EnvState]] = {
    EnvState.STARTING: frozenset({EnvState.INITIALIZING, EnvState.DEAD}),
    EnvState.INITIALIZING: frozenset({EnvState.IDLE, EnvState.DEAD}),
    EnvState.IDLE: frozenset({EnvState.BUSY, EnvState.DEAD}),
    EnvState.BUSY: frozenset({EnvState.IDLE, EnvState.DEAD}),
    EnvState.DEAD: frozenset(),
}


def check_transition(current: EnvState, target: EnvState) -> EnvState:
    """Return ``target`` if moving there from ``current`` is allowed, else raise."""
    return move(TRANSITIONS, current, target, "environment")
