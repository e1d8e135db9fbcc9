"""The named states of a queued event and the moves between them.

```
QUEUED ──claim──▶ RUNNING ──success──────────▶ DONE
   ▲                 │ ├──retry / throttle──▶ RETRY_WAIT ──claim──▶ RUNNING …
   └──lease returned─┘ └──discard───────────▶ FAILED
```

A lease returns to QUEUED only when the process that held it is gone (start-up)
or the lease expired. DONE and FAILED are final.
"""

from __future__ import annotations

from enum import StrEnum

from turnout.states import move


class EventState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    RETRY_WAIT = "RETRY_WAIT"
    DONE = "DONE"
    FAILED = "FAILED"


TRANSITIONS: dict[EventState, frozenset[EventState]] = {
    EventState.QUEUED: frozenset({EventState.RUNNING}),
    EventState.RUNNING: frozenset(
        {EventState.DONE, EventState.RETRY_WAIT, EventState.FAILED, EventState.QUEUED}
    ),
    EventState.RETRY_WAIT: frozenset({EventState.RUNNING}),
    EventState.DONE: frozenset(),
    EventState.FAILED: frozenset(),
}

PENDING: frozenset[EventState] = frozenset({EventState.QUEUED, EventState.RETRY_WAIT})


def transition(current: EventState, target: EventState) -> EventState:
    """Return ``target`` if the move is written above; raise ``IllegalTransition`` if not."""
    return move(TRANSITIONS, current, target, "queued event")
