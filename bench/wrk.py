"""Throughput with ``wrk`` (Debian's package), when it is installed.

``wrk`` is written in C: it takes less of the two shared vCPUs per request
than the Python load generator, so more is left for the system under test. It
is used in addition to ``bench.loadgen``, not instead: both are reported.
One thread, one connection per client, each connection one request at a time;
bounded by its duration.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

SCRIPT = 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n'
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int  # non-2xx answers and socket errors
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def available() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse(output: str) -> WrkResult:
    """The figures of ``wrk --latency`` output."""
    done = re.search(r"(\d+) requests in ([\d.]+(?:us|ms|s))", output)
    assert done is not None, output
    requests, seconds = int(done.group(1)), _ms(done.group(2)) / 1000.0
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return WrkResult(requests, seconds, errors, _ms(p50.group(1)) if p50 else float("nan"),
                     _ms(p99.group(1)) if p99 else float("nan"))


def run_wrk(url: str, clients: int, seconds: int, cpus: set[int] | None = None) -> WrkResult:
    """POST ``{}`` to ``url`` from ``clients`` connections for ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SCRIPT)
    try:
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "-s",
                   script.name, url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30,
                              check=True, preexec_fn=(lambda: os.sched_setaffinity(0, cpus))
                              if cpus else None)
    finally:
        os.unlink(script.name)
    return parse(done.stdout)
