"""The environment state machine: every allowed move, and every other one raising."""

from __future__ import annotations

import itertools

import pytest

from turnout.errors import IllegalTransition
from turnout.pool.lifecycle import EnvState, check_transition

S = EnvState
ALLOWED = {
    (S.STARTING, S.INITIALIZING), (S.STARTING, S.DEAD),
    (S.INITIALIZING, S.IDLE), (S.INITIALIZING, S.DEAD),
    (S.IDLE, S.BUSY), (S.IDLE, S.DEAD),
    (S.BUSY, S.IDLE), (S.BUSY, S.DEAD),
}


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED, key=str))
def test_allowed_moves(current: EnvState, target: EnvState) -> None:
    assert check_transition(current, target) is target


@pytest.mark.parametrize(("current", "target"), [
    pair for pair in itertools.product(EnvState, EnvState) if pair not in ALLOWED])
def test_other_moves_raise(current: EnvState, target: EnvState) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(current, target)
