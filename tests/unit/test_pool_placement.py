"""CPU placement: the decision (pure) and how it is applied (recorded, no real affinity)."""

from __future__ import annotations

import asyncio

import pytest

from turnout.clock import FakeClock
from turnout.pool.placement import (
    ISOLATE_AT,
    PARALLEL_AT,
    PARALLEL_RELEASE_BELOW,
    RELEASE_BELOW,
    SAMPLE_S,
    CpuPlacer,
    Placement,
    dedicated,
    should_dedicate,
)


@pytest.mark.parametrize(("mode", "now", "busy", "parallel", "cpus", "expected"), [
    ("auto", False, ISOLATE_AT, PARALLEL_AT, 2, True),  # busy, side by side: its own CPU
    ("auto", False, ISOLATE_AT - 0.01, 8.0, 2, False),
    ("auto", False, 1.0, PARALLEL_AT - 0.1, 2, False),  # busy, but one at a time: shared
    ("auto", True, RELEASE_BELOW, PARALLEL_RELEASE_BELOW, 2, True),  # hysteresis
    ("auto", True, RELEASE_BELOW - 0.01, 8.0, 2, False),
    ("auto", True, 1.0, PARALLEL_RELEASE_BELOW - 0.1, 2, False),
    ("auto", False, 1.0, 8.0, 1, False),  # one CPU: nothing to place
    ("on", False, 0.0, 0.0, 4, True),
    ("on", False, 0.0, 0.0, 1, False),
    ("off", True, 1.0, 8.0, 4, False),
])
def test_the_loop_gets_a_cpu_of_its_own_only_while_busy_with_parallel_work(
        mode: str, now: bool, busy: float, parallel: float, cpus: int, expected: bool) -> None:
    assert should_dedicate(mode, now, busy, parallel, cpus) is expected


@pytest.mark.parametrize(("cpus", "loop", "environments"), [
    ({0, 1}, {0}, {1}),
    ({2, 5, 7}, {2}, {5, 7}),
    ({3}, {3}, {3}),  # a single CPU is shared
])
def test_dedicated_placement_splits_the_cpus(cpus: set[int], loop: set[int],
                                             environments: set[int]) -> None:
    assert dedicated(frozenset(cpus)) == Placement(frozenset(loop), frozenset(environments))


def placer(mode: str, busy_per_sample: list[float], pids: list[int],
           ) -> tuple[CpuPlacer, list[tuple[int, frozenset[int]]], FakeClock]:
    calls: list[tuple[int, frozenset[int]]] = []
    clock = FakeClock()
    spent = iter([0.0, *[sum(busy_per_sample[:i + 1]) * SAMPLE_S
                         for i in range(len(busy_per_sample))]])
    running = iter([0.0, *[4.0 * SAMPLE_S * (i + 1) for i in range(len(busy_per_sample))]])
    cpu_placer = CpuPlacer(mode, clock, lambda: pids, lambda: next(running),
                           set_affinity=lambda pid, cpus: calls.append((pid, cpus)),
                           thread_time=lambda: next(spent), cpus=frozenset({0, 1}),
                           other_threads=lambda: [99])
    return cpu_placer, calls, clock


def test_a_busy_loop_moves_environments_off_its_cpu_and_back_when_idle() -> None:
    async def scenario() -> list[tuple[int, frozenset[int]]]:
        cpu_placer, calls, clock = placer("auto", [0.9, 0.9, 0.05], [41, 42])
        running = asyncio.create_task(cpu_placer.run())
        for _ in range(3):
            await asyncio.sleep(0)
            clock.advance(SAMPLE_S)
            await asyncio.sleep(0)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        return calls

    calls = asyncio.run(scenario())
    both, loop_cpu, other = frozenset({0, 1}), frozenset({0}), frozenset({1})
    assert calls == [(0, loop_cpu), (99, both), (41, other), (42, other),  # busy sample
                     (0, both), (99, both), (41, both), (42, both)]  # after the idle one


def test_new_environments_get_the_environments_cpus_of_the_moment() -> None:
    cpu_placer, calls, _ = placer("on", [], [])
    cpu_placer.place(7)
    cpu_placer.apply(True)
    cpu_placer.place(8)
    cpu_placer.apply(False)
    cpu_placer.place(9)  # e.g. forked ahead while dedicated, handed out after
    both = frozenset({0, 1})
    assert calls == [(7, both), (0, frozenset({0})), (99, both), (8, frozenset({1})),
                     (0, both), (99, both), (9, both)]


def test_off_never_samples_nor_moves_anything() -> None:
    cpu_placer, calls, _ = placer("off", [0.9, 0.9], [41])
    asyncio.run(cpu_placer.run())  # returns at once
    assert calls == []
