"""Invocation logs kept per function and version on disk, in Lambda's line format.

Each invocation appends one record: the function's output, framed by
``START RequestId: … Version: …``, ``END RequestId: …`` and a tab-separated
``REPORT`` line, the format of
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html#python-logging-output .
The last 4 KB of a record is what ``LogType=Tail`` returns.
"""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import BinaryIO

TAIL_BYTES = 4096


def billed_duration_ms(duration_ms: float) -> int:
    """Lambda bills in 1 ms steps, rounding up (at least 1 ms)."""
    return max(1, math.ceil(duration_ms))


def invocation_record(request_id: str, version: str, output: bytes, duration_ms: float,
                      memory_size_mb: int, max_memory_used_mb: int,
                      init_duration_ms: float | None = None) -> bytes:
    """``START``, the function's output, ``END`` and the tab-separated ``REPORT`` line
    (with the trailing tab Lambda writes; ``Init Duration`` only after a cold start)."""
    init = "" if init_duration_ms is None else f"Init Duration: {init_duration_ms:.2f} ms\t"
    report = (f"END RequestId: {request_id}\n"
              f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
              f"Billed Duration: {billed_duration_ms(duration_ms)} ms\t"
              f"Memory Size: {memory_size_mb} MB\tMax Memory Used: {max_memory_used_mb} MB\t"
              f"{init}\n")
    return b"".join((f"START RequestId: {request_id} Version: {version}\n".encode(), output,
                     report.encode()))


def timestamp(epoch_seconds: float) -> str:
    """``2024-05-01T12:00:00.123Z``, the timestamp form of Lambda's platform lines."""
    whole = int(epoch_seconds)
    millis = int((epoch_seconds - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def timeout_line(epoch_seconds: float, request_id: str, timeout_s: float) -> bytes:
    text = f"{timestamp(epoch_seconds)} {request_id} Task timed out after {timeout_s:.2f} seconds"
    return (text + "\n").encode()


def tail(record: bytes, limit: int = TAIL_BYTES) -> bytes:
    return record[-limit:]


class LogStore:
    """Log files at ``data_dir/logs/<function>/<version>.log``, appended by the pool.

    Files stay open for appending; ``read`` reads from a byte offset so a
    follower can poll for what is new. Inside an event loop, appends are flushed
    at the end of the loop's turn: the records of every invocation that ended in
    one turn reach the file in one write per file (outside a loop, at once).
    """

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir) / "logs"
        self._files: dict[tuple[str, str], BinaryIO] = {}
        self._unflushed: set[BinaryIO] = set()

    def path(self, function: str, version: str) -> Path:
        return self._root / function / f"{version}.log"

    def append(self, function: str, version: str, record: bytes) -> None:
        handle = self._files.get((function, version))
        if handle is None:
            path = self.path(function, version)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("ab")
            self._files[(function, version)] = handle
        handle.write(record)
        if not self._unflushed:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no event loop: write through
                handle.flush()
                return
        self._unflushed.add(handle)

    def flush(self) -> None:
        for handle in self._unflushed:
            handle.flush()
        self._unflushed.clear()

    def read(self, function: str, version: str, since_offset: int = 0) -> tuple[list[str], int]:
        """Complete lines written after ``since_offset``, and the offset to continue from."""
        self.flush()
        path = self.path(function, version)
        try:
            with path.open("rb") as handle:
                handle.seek(since_offset)
                data = handle.read()
        except FileNotFoundError:
            return [], since_offset
        complete = data.rfind(b"\n") + 1
        text = data[:complete].decode("utf-8", errors="replace")
        return text.splitlines(), since_offset + complete

    def forget(self, function: str) -> None:
        """Close the open files of a function (e.g. when it is deleted)."""
        for key in [key for key in self._files if key[0] == function]:
            handle = self._files.pop(key)
            self._unflushed.discard(handle)
            handle.close()

    def close(self) -> None:
        self._unflushed.clear()
        for handle in self._files.values():
            handle.close()
        self._files.clear()
