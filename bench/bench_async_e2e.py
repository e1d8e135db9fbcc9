"""Asynchronous invocation end to end, through the HTTP API on 127.0.0.1.

Figures: ``Invoke`` with ``InvocationType=Event`` acknowledged per second (each
202 only after the event is durable), the drain rate through real execution
environments, and the recovery after ``kill -9``: 1,000 events to a slow
function (10 ms, reserved concurrency 2), Turnout killed right after the last
acknowledgement, restarted, and timed until every event ran. Bounded in count
and time.

    .venv/bin/python -m bench.bench_async_e2e [--events N]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.loadgen import run_load
from tests.helpers import TurnoutProcess, lambda_client, make_zip

FAST = "def handler(event, context):\n    return None\n"
SLOW = ("import os, pathlib, time\ndef handler(event, context):\n    time.sleep(0.01)\n"
        "    pathlib.Path(os.environ['OUT_DIR'], context.aws_request_id).touch()\n")
EVENT = {"X-Amz-Invocation-Type": "Event"}


def _create(client: Any, name: str, source: str, **extra: Any) -> None:
    client.create_function(FunctionName=name, Runtime="python3.11", Handler="index.handler",
                           Role="arn:aws:iam::000000000000:role/bench",
                           Code={"ZipFile": make_zip({"index.py": source})}, **extra)


def _invocations(endpoint: str, name: str) -> int:
    with urllib.request.urlopen(f"{endpoint}/metrics", timeout=10) as response:
        text = response.read().decode()
    pattern = rf'^turnout_invocations_total{{function_name="{name}",[^}}]*}} (\d+)'
    return sum(int(m) for m in re.findall(pattern, text, re.MULTILINE))


def ack_and_drain(events: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data:
        server = TurnoutProcess(Path(data))
        server.start()
        try:
            _create(lambda_client(server.endpoint), "fast", FAST)
            path = "/2015-03-31/functions/fast/invocations"
            started = time.perf_counter()
            load = run_load(server.endpoint, path, b"{}", clients=64, total=events,
                                        time_limit_s=60, headers=EVENT)
            deadline = time.monotonic() + 120
            while _invocations(server.endpoint, "fast") < load.requests - load.errors \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            drained = time.perf_counter() - started
            return {"events": load.requests, "errors": load.errors,
                    "acks_per_s": load.per_second, "ack_p99_ms": load.percentile(99),
                    "drain_per_s": _invocations(server.endpoint, "fast") / drained}
        finally:
            server.stop()


def recovery_after_kill(events: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as out:
        server = TurnoutProcess(Path(data))
        server.start()
        try:
            client = lambda_client(server.endpoint)
            _create(client, "slow", SLOW, Environment={"Variables": {"OUT_DIR": out}})
            client.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=2)
            path = "/2015-03-31/functions/slow/invocations"
            load = run_load(server.endpoint, path, b"{}", clients=16, total=events,
                                        time_limit_s=60, headers=EVENT)
            server.kill()
            before = len(list(Path(out).iterdir()))
            restarted = time.perf_counter()
            server.start()
            deadline = time.monotonic() + 120
            while len(list(Path(out).iterdir())) < load.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            return {"acknowledged": load.requests, "ran_before_kill": before,
                    "ran_after_restart": len(list(Path(out).iterdir())) - before,
                    "seconds_to_drain_after_restart": time.perf_counter() - restarted}
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    for title, figures in (("ack and drain", ack_and_drain(args.events)),
                           ("recovery after kill -9", recovery_after_kill(1_000))):
        print(f"== {title}")
        for key, value in figures.items():
            print(f"  {key}: {value:.1f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
