"""A small keep-alive HTTP/1.1 load generator for loopback benchmarks.

Each client owns one connection and sends one request at a time (no
pipelining), like an SDK with a connection pool. Every run is bounded by a
request count and a time limit.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


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


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run_load(endpoint: str, path: str, body: bytes, *, clients: int, total: int,
                   time_limit_s: float, headers: dict[str, str] | None = None) -> LoadResult:
    """Send ``total`` requests over ``clients`` connections, stopping at ``time_limit_s``."""
    parts = urlsplit(endpoint)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raw = _request(f"{host}:{port}", path, body, headers or {})
    latencies: list[float] = []
    errors = 0
    remaining = total
    started = time.perf_counter()
    deadline = started + time_limit_s

    async def client() -> None:
        nonlocal remaining, errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                sent = time.perf_counter_ns()
                writer.write(raw)
                status = await _read_response(reader)
                latencies.append((time.perf_counter_ns() - sent) / 1e6)
                if status >= 300:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return LoadResult(len(latencies), errors, time.perf_counter() - started, latencies)
