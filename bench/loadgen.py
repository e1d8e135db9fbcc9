"""A small keep-alive HTTP/1.1 load generator for loopback benchmarks.

Each client owns one connection and sends one request at a time (no
pipelining), like an SDK with a connection pool. Every run is bounded by a
request count and a time limit.

The load generator shares the machine's two vCPUs with the system under test,
so it is built to cost little: one ``asyncio.Protocol`` per connection on
uvloop, answers framed by ``Content-Length`` with bytes operations, no stream
objects. (With asyncio streams on the default loop it took about 70 µs of CPU
per request, CPU the server then did not have.)
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def _request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}",
             "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def answer_length(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """(status, total length) of the first complete answer in ``buffer``, or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    length = 0
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        stop = head.find(b"\r\n", at + 17)
        length = int(head[at + 17:stop if stop >= 0 else None])
    total = end + 4 + length
    if len(buffer) < total:
        return None
    return int(head[9:12]), total


class _Client(asyncio.Protocol):
    """One connection sending ``raw`` again each time the previous answer is complete."""

    def __init__(self, load: _Load) -> None:
        self._load = load
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._sent = 0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        if not self._load.take():
            self._transport.close()
            return
        self._sent = time.perf_counter_ns()
        self._transport.write(self._load.raw)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        framed = answer_length(self._buffer)
        if framed is None:
            return
        status, total = framed
        del self._buffer[:total]
        self._load.answered(status, (time.perf_counter_ns() - self._sent) / 1e6)
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Load:
    def __init__(self, raw: bytes, total: int, deadline: float) -> None:
        self.raw = raw
        self.remaining = total
        self.deadline = deadline
        self.latencies: list[float] = []
        self.errors = 0

    def take(self) -> bool:
        if self.remaining <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.remaining -= 1
        return True

    def answered(self, status: int, latency_ms: float) -> None:
        self.latencies.append(latency_ms)
        if status >= 300:
            self.errors += 1


async def _run(host: str, port: int, raw: bytes, clients: int, total: int,
               time_limit_s: float) -> LoadResult:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    load = _Load(raw, total, started + time_limit_s)
    connections = [await loop.create_connection(lambda: _Client(load), host, port)
                   for _ in range(clients)]
    await asyncio.gather(*(protocol.closed for _, protocol in connections))
    return LoadResult(len(load.latencies), load.errors, time.perf_counter() - started,
                      load.latencies)


def run_load(endpoint: str, path: str, body: bytes, *, clients: int, total: int,
             time_limit_s: float, headers: dict[str, str] | None = None) -> LoadResult:
    """Send ``total`` requests over ``clients`` connections, stopping at ``time_limit_s``."""
    parts = urlsplit(endpoint)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raw = _request(f"{host}:{port}", path, body, headers or {})
    return uvloop.run(_run(host, port, raw, clients, total, time_limit_s))
