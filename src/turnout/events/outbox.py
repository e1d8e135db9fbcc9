"""The outbox: destination records and dead-letter messages waiting to be delivered.

Rows are written in the same transaction as the outcome of the event they describe
(``EventQueue.complete``), so a crash can repeat a delivery but never lose one. A row
is deleted once delivered; after ``MAX_DELIVERY_ATTEMPTS`` failures it is kept as
ABANDONED for inspection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from turnout.store.db import Database

MAX_DELIVERY_ATTEMPTS = 8

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    function_name TEXT NOT NULL,
    qualifier TEXT,
    target_arn TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(not_before) WHERE state = 'PENDING';
"""


class RecordKind(StrEnum):
    DESTINATION = "destination"  # an invocation record for OnSuccess / OnFailure
    DEAD_LETTER = "dead_letter"  # the event for the function's dead-letter queue


class OutboxState(StrEnum):
    PENDING = "PENDING"
    ABANDONED = "ABANDONED"


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A message to deliver: ``body`` is already in the target's format."""

    target_arn: str
    kind: RecordKind
    body: bytes


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    event_id: str
    function_name: str
    qualifier: str | None
    record: OutboxRecord
    attempts: int


def insert_records(connection: sqlite3.Connection, event_id: str, function_name: str,
                   qualifier: str | None, records: list[OutboxRecord], now: float) -> None:
    """Add records to the outbox inside the caller's transaction."""
    connection.executemany(
        "INSERT INTO outbox (event_id, function_name, qualifier, target_arn, kind, body, "
        "state, not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(event_id, function_name, qualifier, r.target_arn, str(r.kind), r.body,
          str(OutboxState.PENDING), now) for r in records],
    )


class Outbox:
    """Reads and settles outbox rows; shares the queue's database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, now: float, limit: int) -> list[OutboxEntry]:
        def select(connection: sqlite3.Connection) -> list[OutboxEntry]:
            rows = connection.execute(
                "SELECT id, event_id, function_name, qualifier, target_arn, kind, body, "
                "attempts FROM outbox WHERE state = 'PENDING' AND not_before <= ? "
                "ORDER BY not_before, id LIMIT ?", (now, limit)).fetchall()
            return [OutboxEntry(row[0], row[1], row[2], row[3],
                                OutboxRecord(row[4], RecordKind(row[5]), bytes(row[6])), row[7])
                    for row in rows]

        return await self._db.run(select)

    async def next_due(self) -> float | None:
        def select(connection: sqlite3.Connection) -> float | None:
            row = connection.execute(
                "SELECT MIN(not_before) FROM outbox WHERE state = 'PENDING'").fetchone()
            return None if row[0] is None else float(row[0])

        return await self._db.run(select)

    async def delivered(self, entry: OutboxEntry) -> None:
        await self._db.run(lambda c: c.execute("DELETE FROM outbox WHERE id = ?", (entry.id,)))

    async def failed(self, entry: OutboxEntry, error: str, retry_at: float) -> bool:
        """Count a failed delivery; retry at ``retry_at`` or give up. True if abandoned."""
        attempts = entry.attempts + 1
        abandoned = attempts >= MAX_DELIVERY_ATTEMPTS
        state = OutboxState.ABANDONED if abandoned else OutboxState.PENDING
        await self._db.run(lambda c: c.execute(
            "UPDATE outbox SET attempts = ?, state = ?, not_before = ?, last_error = ? "
            "WHERE id = ?", (attempts, str(state), retry_at, error[:1024], entry.id)))
        return abandoned

    async def counts(self) -> dict[str, int]:
        def select(connection: sqlite3.Connection) -> dict[str, int]:
            rows = connection.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            return {state: count for state, count in rows}

        return await self._db.run(select)
