"""Named states with written transitions: one check for every state machine in Turnout."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from turnout.errors import IllegalTransition

S = TypeVar("S", bound=Enum)


def move(transitions: Mapping[S, frozenset[S]], current: S, target: S, what: str) -> S:
    """Return ``target`` if the move from ``current`` is written in ``transitions``; else
    raise ``IllegalTransition`` naming ``what`` moved."""
    if target not in transitions[current]:
        raise IllegalTransition(f"{what} cannot move from {current.value} to {target.value}")
    return target
