"""SQLite access from asyncio: one thread owns the connection, callers await results.

Every write runs in a transaction on that thread; a call returns only after its
transaction committed, so an acknowledged change is durable (WAL,
``synchronous=FULL``). Writes that arrive while one is running are committed
together (group commit), which keeps acknowledgements cheap under load.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


class Database:
    """One SQLite file, one connection, one thread. ``schema`` runs once at open."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = schema
        self._jobs: SimpleQueue[tuple[Work, Future[Any]] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=f"sqlite:{path.name}",
                                        daemon=True)
        self._opened: Future[None] = Future()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        await asyncio.wrap_future(self._opened)

    async def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            await asyncio.to_thread(self._thread.join)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` in a transaction; return once it is committed."""
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return await asyncio.wrap_future(future)

    def run_blocking(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """The same from a thread that is not the event loop (command-line tools)."""
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return future.result()

    def _serve(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.executescript(self._schema)
        except BaseException as error:  # reported to the opener, not swallowed
            self._opened.set_exception(error)
            return
        self._opened.set_result(None)
        while True:
            job = self._jobs.get()
            if job is None:
                break
            batch = [job]
            while not self._jobs.empty():
                more = self._jobs.get()
                if more is None:
                    self._commit(connection, batch)
                    connection.close()
                    return
                batch.append(more)
            self._commit(connection, batch)
        connection.close()

    @staticmethod
    def _commit(connection: sqlite3.Connection, batch: list[tuple[Work, Future[Any]]]) -> None:
        """Run a batch in one transaction; a failing job is rolled back alone (savepoint).

        A job whose caller was cancelled before it started is skipped; once started, its
        future can no longer be cancelled, so setting its result cannot fail.
        """
        batch = [(work, future) for work, future in batch
                 if future.set_running_or_notify_cancel()]
        if not batch:
            return
        results: list[tuple[Future[Any], bool, Any]] = []
        connection.execute("BEGIN IMMEDIATE")
        for index, (work, future) in enumerate(batch):
            savepoint = f"job{index}"
            connection.execute(f"SAVEPOINT {savepoint}")
            try:
                value = work(connection)
            except BaseException as error:
                connection.execute(f"ROLLBACK TO {savepoint}")
                connection.execute(f"RELEASE {savepoint}")
                results.append((future, False, error))
            else:
                connection.execute(f"RELEASE {savepoint}")
                results.append((future, True, value))
        try:
            connection.execute("COMMIT")
        except BaseException as error:
            connection.execute("ROLLBACK")
            for future, _, _ in results:
                future.set_exception(error)
            return
        for future, ok, value in results:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
