"""What one process waking another costs on this machine: the floor under every crossing.

Two processes ping-pong one byte, ``--count`` round trips, first both on the
same CPU, then on two different CPUs; over a Unix socket pair (what Turnout's
Python runtime uses to reach its Runtime API) and over TCP on loopback (what
``AWS_LAMBDA_RUNTIME_API`` and every client use). Each round trip is two
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


def connected_pair(kind: str) -> tuple[socket.socket, socket.socket]:
    """Two connected stream sockets: a Unix socket pair, or TCP on 127.0.0.1."""
    if kind == "unix":
        return socket.socketpair()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname())
        theirs, _ = listener.accept()
    for end in (ours, theirs):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ours, theirs


def ping_pong(count: int, parent_cpu: int, child_cpu: int, kind: str = "unix",
              ) -> dict[str, float]:
    ours, theirs = connected_pair(kind)
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
    for kind in ("unix", "tcp"):
        for name, first, second in runs:
            figures = ping_pong(args.count, first, second, kind)
            print(f"{kind}, {name}: " + "  ".join(f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
