"""CPU placement: under load, the event loop gets a CPU of its own, environments the rest.

Every invocation passes through the platform's one event-loop thread. When
that thread and the environments share CPUs, the loop can be preempted by the
workers it has just woken and pays for waking workers on the other CPUs; on
the 2-vCPU machines of ``docs/performance.md``, with other processes competing
for the CPUs, dedicating a CPU to the loop nearly doubled throughput at 64
clients (on an otherwise idle machine the difference was within the noise,
hence off by default). So, once the loop is busy (``ISOLATE_AT`` of a CPU over the last
sample) with invocations running side by side (``PARALLEL_AT`` on average),
its thread is pinned to one CPU and every environment (and the fork-server
that forks new ones) to the others; when either falls below its ``RELEASE``
mark everyone may use every CPU again. One request at a time keeps the shared
placement even when it keeps the loop busy: the chain is then serial, and
crossing CPUs at each step only adds wake-ups.

``--cpu-placement``: ``off`` (the default: never), ``auto`` (the above), ``on``
(always dedicated). With fewer than two CPUs there is nothing to place.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from turnout.clock import Clock

ISOLATE_AT = 0.6  # of one CPU, used by the event loop over a sample
RELEASE_BELOW = 0.4
PARALLEL_AT = 2.0  # invocations running at once, on average over a sample
PARALLEL_RELEASE_BELOW = 1.5
SAMPLE_S = 1.0


@dataclass(frozen=True, slots=True)
class Placement:
    """Which CPUs the event loop and the environments may run on."""

    loop_cpus: frozenset[int]
    environment_cpus: frozenset[int]

    @property
    def dedicated(self) -> bool:
        return not (self.loop_cpus & self.environment_cpus)


def shared(cpus: frozenset[int]) -> Placement:
    return Placement(cpus, cpus)


def dedicated(cpus: frozenset[int]) -> Placement:
    """The loop on the lowest CPU, environments on the others (shared if only one)."""
    if len(cpus) < 2:
        return shared(cpus)
    loop_cpu = min(cpus)
    return Placement(frozenset({loop_cpu}), cpus - {loop_cpu})


def should_dedicate(mode: str, dedicated_now: bool, loop_busy: float, parallel: float,
                    cpu_count: int) -> bool:
    """Whether the loop should have a CPU of its own for the next sample.

    ``loop_busy``: the loop thread's CPU time over the last sample's wall time;
    ``parallel``: the invocations' running time over it (the mean number running).
    """
    if cpu_count < 2 or mode == "off":
        return False
    if mode == "on":
        return True
    if dedicated_now:
        return loop_busy >= RELEASE_BELOW and parallel >= PARALLEL_RELEASE_BELOW
    return loop_busy >= ISOLATE_AT and parallel >= PARALLEL_AT


def _other_threads() -> list[int]:
    """Our threads but the calling one (the loop's): the database writer, executors."""
    own = threading.get_native_id()
    return [int(tid) for tid in os.listdir("/proc/self/task") if int(tid) != own]


def _set_affinity(pid: int, cpus: frozenset[int]) -> None:
    """``sched_setaffinity``; a process that has just ended is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.sched_setaffinity(pid, cpus)


class CpuPlacer:
    """Samples the event loop's load and moves it and the environments accordingly.

    ``processes()`` lists the pids to place with the environments (every live
    environment and the fork-server); ``busy_seconds()`` is the environments'
    running time so far, summed. ``place(pid)`` places a new one.
    """

    def __init__(self, mode: str, clock: Clock, processes: Callable[[], Iterable[int]],
                 busy_seconds: Callable[[], float],
                 set_affinity: Callable[[int, frozenset[int]], None] = _set_affinity,
                 thread_time: Callable[[], float] = time.thread_time,
                 cpus: frozenset[int] | None = None,
                 other_threads: Callable[[], Iterable[int]] = _other_threads) -> None:
        self._mode = mode
        self._clock = clock
        self._processes = processes
        self._busy_seconds = busy_seconds
        self._set_affinity = set_affinity
        self._thread_time = thread_time
        self._other_threads = other_threads
        self._cpus = frozenset(os.sched_getaffinity(0)) if cpus is None else cpus
        self.placement = shared(self._cpus)

    def place(self, pid: int) -> None:
        """Give a new environment (or fork-server) the environments' CPUs now. Always: a
        child forked ahead while the placement was dedicated must not stay confined."""
        self._set_affinity(pid, self.placement.environment_cpus)

    def apply(self, dedicate: bool) -> None:
        target = dedicated(self._cpus) if dedicate else shared(self._cpus)
        if target == self.placement:
            return
        self.placement = target
        self._set_affinity(0, target.loop_cpus)  # 0: the calling thread, i.e. the loop's
        for tid in self._other_threads():  # threads started meanwhile inherited the loop's
            self._set_affinity(tid, self._cpus)
        for pid in self._processes():
            self._set_affinity(pid, target.environment_cpus)

    async def run(self) -> None:
        """Sample the loop's load every ``SAMPLE_S`` and re-place when the decision changes."""
        if self._mode == "off" or len(self._cpus) < 2:
            return  # nothing will ever move: no sampling either
        try:
            self.apply(should_dedicate(self._mode, False, 0.0, 0.0, len(self._cpus)))
            before = (self._thread_time(), self._busy_seconds(), self._clock.monotonic())
            while True:
                await self._clock.sleep(SAMPLE_S)
                now = (self._thread_time(), self._busy_seconds(), self._clock.monotonic())
                wall = max(now[2] - before[2], 1e-9)
                loop_busy, parallel = (now[0] - before[0]) / wall, (now[1] - before[1]) / wall
                before = now
                self.apply(should_dedicate(self._mode, self.placement.dedicated, loop_busy,
                                           parallel, len(self._cpus)))
        finally:
            self.apply(False)
