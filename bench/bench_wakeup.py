"""What one process waking another costs on this machine: the floor under every crossing.

Two processes ping-pong one byte over a socket pair, ``--count`` round trips,
first both on the same CPU, then on two different CPUs. Each round trip is two
wake-ups; the CPU time of each side per round trip is what a wake-up costs the
process that sends it (on a virtual machine, waking an idle vCPU is an exit to
the hypervisor). An invocation through Turnout crosses four process boundaries
(client → platform → environment → platform → client).

    .venv/bin/python -m bench.bench_wakeup [--count N]
"""

from __future__ import annotations

import argparse
import os
import socket
import time


def ping_pong(count: int, parent_cpu: int, child_cpu: int) -> dict[str, float]:
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            os.sched_setaffinity(0, {child_cpu})
            for _ in range(count):
                theirs.recv(16)
                theirs.send(b"y")
        finally:
            os._exit(0)
    everywhere = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {parent_cpu})
    try:
        started, before = time.perf_counter(), os.times()
        for _ in range(count):
            ours.send(b"x")
            ours.recv(16)
        elapsed, after = time.perf_counter() - started, os.times()
    finally:
        os.sched_setaffinity(0, everywhere)
        os.waitpid(pid, 0)
    ended = os.times()
    return {"round_trip_us": elapsed / count * 1e6,
            "sender_cpu_us": (after.user + after.system - before.user - before.system)
            / count * 1e6,
            "other_cpu_us": (ended.children_user + ended.children_system
                             - before.children_user - before.children_system) / count * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    print(f"conditions: {len(cpus)} CPUs, load average {os.getloadavg()[0]:.2f}")
    runs = [("same CPU", cpus[0], cpus[0])]
    if len(cpus) > 1:
        runs.append(("two CPUs", cpus[0], cpus[1]))
    for name, first, second in runs:
        figures = ping_pong(args.count, first, second)
        print(f"{name}: " + "  ".join(f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
