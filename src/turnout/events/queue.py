"""The durable queue of asynchronous events: its own SQLite file under the data dir.

``enqueue`` returns only once the event is committed (WAL, ``synchronous=FULL``; many
concurrent enqueues share one commit), which is when the API may answer 202. Consumers
``claim`` events under a lease owned by this queue object; ``complete`` stores the
outcome, the next state and the outbox records in one transaction. Leases of another
(dead) queue object, or expired ones, go back with ``release_stale_leases`` — call it
once at start-up, from the serving process only.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from turnout.errors import IllegalTransition
from turnout.events.metrics import AsyncMetric, EventMetrics, NoMetrics
from turnout.events.outbox import OUTBOX_SCHEMA, Outbox, OutboxRecord, insert_records
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.records import LastResponse
from turnout.events.retry import Condition, Decision
from turnout.events.states import EventState, transition
from turnout.store.db import Database

QUEUE_FILE = "events.sqlite3"
_PENDING_SQL = "state IN ('QUEUED', 'RETRY_WAIT')"
# The planner would otherwise pick the index on state and sort every waiting event.
_DUE_INDEX = "INDEXED BY events_due"
_FUNCTION_DUE_INDEX = "INDEXED BY events_function_due"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    qualifier TEXT,
    payload BLOB NOT NULL,
    received_at REAL NOT NULL,
    state TEXT NOT NULL,
    not_before REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    backoffs INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until REAL,
    response_payload BLOB,
    response_version TEXT,
    response_error TEXT,
    last_status INTEGER,
    last_error TEXT,
    condition TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_due ON events(not_before) WHERE {_PENDING_SQL};
CREATE INDEX IF NOT EXISTS events_function_due ON events(function_name, not_before)
    WHERE {_PENDING_SQL};
CREATE INDEX IF NOT EXISTS events_state ON events(state);
{OUTBOX_SCHEMA}
"""

_COLUMNS = ("id, function_name, qualifier, payload, received_at, state, not_before, attempts, "
            "backoffs, lease_until, response_payload, response_version, response_error, "
            "last_status, last_error, condition")


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    id: str  # the request id the caller was given
    function_name: str
    qualifier: str | None  # None → $LATEST
    payload: bytes
    received_at: float
    state: EventState
    not_before: float
    attempts: int  # runs of the function so far
    backoffs: int  # consecutive throttles / system errors
    lease_until: float | None = None
    response: LastResponse | None = None  # the last time the function ran
    last_status: int | None = None
    last_error: str | None = None
    condition: Condition | None = None

    def counts_after(self, kind: OutcomeKind | None) -> tuple[int, int]:
        """(attempts, backoffs) once an attempt that ended in ``kind`` is counted."""
        if kind is None:
            return self.attempts, self.backoffs
        if kind.executed:
            return self.attempts + 1, 0
        return self.attempts, self.backoffs + 1


def _event(row: tuple[Any, ...]) -> QueuedEvent:
    response = None
    if row[11] is not None:
        response = LastResponse(bytes(row[10] or b""), row[11], row[12])
    return QueuedEvent(
        id=row[0], function_name=row[1], qualifier=row[2], payload=bytes(row[3]),
        received_at=row[4], state=EventState(row[5]), not_before=row[6], attempts=row[7],
        backoffs=row[8], lease_until=row[9], response=response, last_status=row[13],
        last_error=row[14], condition=Condition(row[15]) if row[15] else None,
    )


class EventQueue:
    def __init__(self, path: Path, metrics: EventMetrics | None = None) -> None:
        self.path = path
        self.owner = uuid.uuid4().hex  # leases taken by this object carry this id
        self._db = Database(path, SCHEMA)
        self._metrics: EventMetrics = metrics or NoMetrics()
        self._listeners: list[Callable[[], None]] = []
        self.outbox = Outbox(self._db)

    @classmethod
    def in_data_dir(cls, data_dir: Path, metrics: EventMetrics | None = None) -> EventQueue:
        return cls(data_dir / QUEUE_FILE, metrics)

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the event loop) after each durable enqueue."""
        self._listeners.append(listener)

    async def enqueue(self, function_name: str, qualifier: str | None, payload: bytes,
                      request_id: str, now: float) -> None:
        """Store a new event; returns once it is committed."""
        await self._db.run(lambda c: c.execute(
            "INSERT INTO events (id, function_name, qualifier, payload, received_at, state, "
            "not_before, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (request_id, function_name, qualifier, payload, now, str(EventState.QUEUED), now,
             now)))
        self._metrics.record(AsyncMetric.EVENTS_RECEIVED, function_name, qualifier, 1.0)
        for listener in self._listeners:
            listener()

    async def claim(self, now: float, limit: int, lease_seconds: float,
                    capacity: Callable[[str], int] | None = None) -> list[QueuedEvent]:
        """Lease up to ``limit`` due events, oldest first.

        ``capacity(function_name)``, asked on the event loop once per function with due
        events, says how many of that function's events may start now (its free
        concurrency); None means no limit per function.
        """
        quotas: dict[str, int] | None = None
        if capacity is not None:
            due_names = await self._db.run(lambda c: [row[0] for row in c.execute(
                f"SELECT DISTINCT function_name FROM events {_DUE_INDEX} WHERE {_PENDING_SQL} "
                "AND not_before <= ?", (now,))])
            quotas = {name: min(free, limit) for name in due_names
                      if (free := capacity(name)) > 0}
            if not quotas:
                return []
        chosen = quotas
        return await self._db.run(
            lambda c: self._lease(c, now, limit, now + lease_seconds, chosen))

    def _lease(self, connection: sqlite3.Connection, now: float, limit: int,
               lease_until: float, quotas: dict[str, int] | None) -> list[QueuedEvent]:
        select = (f"SELECT {_COLUMNS} FROM events {{index}} WHERE {_PENDING_SQL} "
                  "AND not_before <= ? {name} ORDER BY not_before, rowid LIMIT ?")
        if quotas is None:
            rows = connection.execute(select.format(index=_DUE_INDEX, name=""),
                                      (now, limit)).fetchall()
        else:
            rows = []
            for name, quota in quotas.items():
                rows += connection.execute(
                    select.format(index=_FUNCTION_DUE_INDEX, name="AND function_name = ?"),
                    (now, name, quota)).fetchall()
            rows = sorted(rows, key=lambda row: row[6])[:limit]
        claimed = []
        for row in rows:
            event = _event(row)
            state = transition(event.state, EventState.RUNNING)
            connection.execute(
                "UPDATE events SET state = ?, lease_owner = ?, lease_until = ?, updated_at = ? "
                "WHERE id = ?", (str(state), self.owner, lease_until, now, event.id))
            claimed.append(_event((*row[:5], str(state), *row[6:9], lease_until, *row[10:])))
        return claimed

    async def complete(self, event: QueuedEvent, outcome: InvokeOutcome | None,
                       decision: Decision, records: list[OutboxRecord], now: float) -> None:
        """Store the attempt's outcome, the decided state and the outbox records at once.

        ``outcome`` is None when the event was discarded without an attempt (too old).
        Raises ``IllegalTransition`` if this queue no longer holds the event's lease.
        """
        target = transition(EventState.RUNNING, decision.state)
        attempts, backoffs = event.counts_after(outcome.kind if outcome else None)
        response = LastResponse.of(outcome) if outcome else None
        condition = str(decision.condition) if decision.condition else None
        not_before = decision.not_before if decision.not_before is not None else now

        def store(connection: sqlite3.Connection) -> None:
            values: list[Any] = [str(target), not_before, attempts, backoffs, condition, now]
            sets = ("state = ?, not_before = ?, attempts = ?, backoffs = ?, condition = ?, "
                    "updated_at = ?, lease_owner = NULL, lease_until = NULL")
            if outcome is not None:
                sets += ", last_status = ?, last_error = ?"
                values += [outcome.status_code, outcome.error_message]
            if response is not None:
                sets += ", response_payload = ?, response_version = ?, response_error = ?"
                values += [response.payload, response.executed_version,
                           response.function_error]
            cursor = connection.execute(
                f"UPDATE events SET {sets} WHERE id = ? AND state = 'RUNNING' "
                "AND lease_owner = ?", (*values, event.id, self.owner))
            if cursor.rowcount != 1:
                raise IllegalTransition(f"event {event.id} is not leased by this queue")
            insert_records(connection, event.id, event.function_name, event.qualifier,
                           records, now)

        await self._db.run(store)

    async def release_stale_leases(self, now: float) -> int:
        """Return to QUEUED every RUNNING event leased by another queue object (a process
        that died) or whose lease expired. Returns how many came back."""
        transition(EventState.RUNNING, EventState.QUEUED)

        def release(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "UPDATE events SET state = 'QUEUED', lease_owner = NULL, lease_until = NULL, "
                "not_before = MIN(not_before, ?), updated_at = ? WHERE state = 'RUNNING' "
                "AND (lease_owner IS NOT ? OR lease_until <= ?)", (now, now, self.owner, now))
            return cursor.rowcount

        released = await self._db.run(release)
        if released:
            for listener in self._listeners:
                listener()
        return released

    async def next_due(self) -> float | None:
        """The earliest ``not_before`` among waiting events (None if none wait)."""
        def select(connection: sqlite3.Connection) -> float | None:
            row = connection.execute(
                f"SELECT MIN(not_before) FROM events {_DUE_INDEX} WHERE {_PENDING_SQL}").fetchone()
            return None if row[0] is None else float(row[0])

        return await self._db.run(select)

    async def counts(self) -> dict[EventState, int]:
        """Events per state, every state present (``turnout queue``)."""
        def select(connection: sqlite3.Connection) -> dict[EventState, int]:
            found = dict(connection.execute("SELECT state, COUNT(*) FROM events GROUP BY state"))
            return {state: int(found.get(str(state), 0)) for state in EventState}

        return await self._db.run(select)

    async def list(self, state: EventState | None = None, function_name: str | None = None,
                   limit: int = 100) -> list[QueuedEvent]:
        """Events, oldest first, optionally of one state and/or one function."""
        clauses, args = [], []
        if state is not None:
            clauses.append("state = ?")
            args.append(str(state))
        if function_name is not None:
            clauses.append("function_name = ?")
            args.append(function_name)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return await self._db.run(lambda c: [_event(row) for row in c.execute(
            f"SELECT {_COLUMNS} FROM events {where} ORDER BY received_at, rowid LIMIT ?",
            (*args, limit))])

    async def get(self, request_id: str) -> QueuedEvent | None:
        row = await self._db.run(lambda c: c.execute(
            f"SELECT {_COLUMNS} FROM events WHERE id = ?", (request_id,)).fetchone())
        return None if row is None else _event(row)
