from __future__ import annotations

import itertools

import pytest

from turnout.errors import IllegalTransition
from turnout.events.states import EventState, transition

Q, R, W, D, F = (EventState.QUEUED, EventState.RUNNING, EventState.RETRY_WAIT,
                 EventState.DONE, EventState.FAILED)
LEGAL = {(Q, R), (R, D), (R, W), (R, F), (R, Q), (W, R)}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_written_transitions_are_allowed(current: EventState, target: EventState) -> None:
    assert transition(current, target) is target


@pytest.mark.parametrize(("current", "target"),
                         sorted(set(itertools.product(EventState, EventState)) - LEGAL))
def test_every_other_move_raises(current: EventState, target: EventState) -> None:
    with pytest.raises(IllegalTransition):
        transition(current, target)
