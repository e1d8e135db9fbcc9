"""Per-invocation cost of the invoke path's pure parts: resolve, pick, admit, record.

Run from the repository root: ``python bench/bench_routing_admission.py``.
Each figure is the best of a few bounded rounds (count and time), in
microseconds per invocation, on one core of this machine.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from turnout.arns import parse_function_name, resolve_qualifier
from turnout.clock import SystemClock
from turnout.invoke.admission import ConcurrencyLedger
from turnout.invoke.routing import AliasRoute, route
from turnout.observe.metrics import Metrics, Series

ROUNDS = 5
PER_ROUND = 50_000
TIME_LIMIT_S = 20.0

ACCOUNT, REGION = "000000000000", "us-east-1"
ALIAS = AliasRoute("3", {"4": 0.1})


def _measure(step: Callable[[], None]) -> float:
    """Best µs per call over ``ROUNDS`` rounds of ``PER_ROUND`` calls."""
    best = float("inf")
    deadline = time.perf_counter() + TIME_LIMIT_S
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for _ in range(PER_ROUND):
            step()
        best = min(best, (time.perf_counter() - began) / PER_ROUND * 1e6)
        if time.perf_counter() > deadline:
            break
    return best


def main() -> None:
    rng = random.Random(1)
    ledger = ConcurrencyLedger(1000)
    ledger.set_provisioned("live", "orders", 10)
    metrics = Metrics(SystemClock())

    def resolve() -> None:
        ref = parse_function_name("orders:live")
        resolve_qualifier(ref, None, ACCOUNT, REGION)

    def pick() -> None:
        route("orders", "live", ALIAS, rng.random())

    def pick_sticky() -> None:
        route("orders", "live", ALIAS, 0.0, "user-1234")

    def admit() -> None:
        ledger.acquire_nowait("orders").release()

    def admit_provisioned() -> None:
        ledger.acquire_nowait("orders", "live").release()

    series = Series("orders", "orders:live", "3")

    def record() -> None:
        metrics.started(series)
        metrics.finished(series, duration_ms=12.0, error=False)

    def whole_path() -> None:
        ref = parse_function_name("orders:live")
        name, qualifier = resolve_qualifier(ref, None, ACCOUNT, REGION)
        target = route(name, qualifier, ALIAS, rng.random())
        lease = ledger.acquire_nowait(name, qualifier if target.executed_version == "3" else None)
        key = Series(name, target.resource, target.executed_version)
        metrics.started(key, provisioned=lease.provisioned, spillover=lease.spillover)
        metrics.finished(key, duration_ms=12.0, error=False, provisioned=lease.provisioned)
        lease.release()

    steps: list[tuple[str, Callable[[], None]]] = [
        ("resolve (parse name + qualifier)", resolve),
        ("pick_version (weighted alias, random draw)", pick),
        ("pick_version_sticky (routing key hash)", pick_sticky),
        ("acquire_nowait + release (on-demand)", admit),
        ("acquire_nowait + release (provisioned slot)", admit_provisioned),
        ("metrics started + finished", record),
        ("whole path: resolve + pick + admit + metrics + release", whole_path),
    ]
    print(f"{'step':<58} {'µs/invocation':>14}")
    for label, step in steps:
        print(f"{label:<58} {_measure(step):>14.2f}")


if __name__ == "__main__":
    main()
