"""Invoke benchmark, all through the HTTP API on 127.0.0.1, fork-server vs fresh interpreter.

Measures, side by side in one run: warm invoke latency (one keep-alive client,
one request at a time), invocations per second at 16 and 64 clients, cold
start of a hello-world handler and of one that imports boto3 at init (cold
invoke latency minus warm invoke latency of the same function), and memory
(USS/PSS) per idle warm environment; and for each load, the CPU time per invocation
of the platform process and of the environments (psutil), which noisy neighbours
disturb less than wall-clock figures. Every loop is bounded in count and time.

Throughput is measured with the Python load generator and, when Debian's ``wrk``
is installed, with ``wrk`` too. Turnout runs from the build the benchmark
imports: the compiled copy that ``make run`` serves when started as below
(``tools/build_compiled.py``); a second fork-server run from the Python
sources shows what compiling the invocation path does. ``--placement`` adds a
fork-server run with ``--cpu-placement auto`` (``turnout.pool.placement``), with
the load generator free to run on any CPU and also "pinned" to the CPUs Turnout
then gives its environments.

    PYTHONPATH=build/compiled .venv/bin/python -m bench.bench_invoke [--quick] [--placement]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench import wrk
from bench.loadgen import LoadResult, run_load
from tests.helpers import SOURCE_ROOT, TurnoutProcess, lambda_client, make_zip
from turnout.api import http
from turnout.pool.placement import dedicated

PYTHON_SOURCES = str(Path(__file__).resolve().parents[1] / "src")

HELLO = "def handler(event, context):\n    return {'hello': 'world'}\n"
IMPORTS_BOTO3 = ("import boto3\n\n"
                 "def handler(event, context):\n    return {'sdk': boto3.__version__}\n")
WITH_BOTO3 = ("import boto3\nclient = boto3.client('lambda')\n\n"
              "def handler(event, context):\n    return {'hello': 'boto3'}\n")


def _create(client: Any, name: str, source: str, memory: int = 128) -> None:
    client.create_function(FunctionName=name, Runtime="python3.11", Handler="index.handler",
                           Role="arn:aws:iam::000000000000:role/bench",
                           Code={"ZipFile": make_zip({"index.py": source})}, MemorySize=memory,
                           Timeout=30)


def _timed_invoke(client: Any, name: str) -> float:
    started = time.perf_counter()
    response = client.invoke(FunctionName=name, Payload=b"{}")
    response["Payload"].read()
    assert "FunctionError" not in response, response
    return (time.perf_counter() - started) * 1000


def cold_starts(client: Any, prefix: str, source: str, trials: int) -> dict[str, float]:
    """Cold minus warm latency, per trial on a new function, median over trials."""
    added = []
    for index in range(trials):
        name = f"{prefix}-{index}"
        _create(client, name, source)
        cold = _timed_invoke(client, name)
        warm = statistics.median(_timed_invoke(client, name) for _ in range(5))
        added.append(cold - warm)
    return {"cold_added_ms_p50": statistics.median(added), "cold_added_ms_max": max(added)}


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def environments(server: TurnoutProcess) -> list[psutil.Process]:
    """The worker processes: descendants of the platform with no children of their own."""
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    return [p for p in root.children(recursive=True) if not p.children()]


def loadgen_cpus(pinned: bool) -> set[int]:
    """The load generator's CPUs: with ``pinned``, the ones Turnout gives its environments
    while its event loop has a CPU of its own (``turnout.pool.placement``); else all."""
    cpus = frozenset(os.sched_getaffinity(0))
    return set(dedicated(cpus).environment_cpus if pinned else cpus)


def timed_load(server: TurnoutProcess, path: str, clients: int, total: int,
               pinned: bool = False) -> tuple[LoadResult, float, float]:
    """A load run and the CPU microseconds per invocation of the platform and of its workers."""
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    workers = environments(server)
    everywhere = os.sched_getaffinity(0)
    server_before, workers_before = cpu_seconds(root), sum(cpu_seconds(w) for w in workers)
    os.sched_setaffinity(0, loadgen_cpus(pinned))
    try:
        load = run_load(server.endpoint, path, b"{}", clients=clients, total=total,
                        time_limit_s=30)
    finally:
        os.sched_setaffinity(0, everywhere)
    server_after, workers_after = cpu_seconds(root), sum(cpu_seconds(w) for w in workers)
    done = max(load.requests, 1)
    return (load, (server_after - server_before) / done * 1e6,
            (workers_after - workers_before) / done * 1e6)


def idle_environment_memory(server: TurnoutProcess) -> dict[str, float]:
    """USS and PSS of each worker process with no children (the environments)."""
    infos = [p.memory_full_info() for p in environments(server)]
    mib = 1024 * 1024
    return {"environments": len(infos),
            "uss_mib_median": statistics.median(i.uss for i in infos) / mib if infos else 0.0,
            "pss_mib_median": statistics.median(i.pss for i in infos) / mib if infos else 0.0}


def measure(zygote: bool, placement: str, quick: bool, everything: bool = True,
            sources: str = str(SOURCE_ROOT)) -> dict[str, Any]:
    """Warm latency and throughput; with ``everything``, cold starts and memory too.
    ``sources``: where the server imports Turnout from."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as data:
        server = TurnoutProcess(Path(data), {"TURNOUT_USE_ZYGOTE": str(zygote).lower(),
                                             "TURNOUT_CPU_PLACEMENT": placement,
                                             "TURNOUT_MAX_ENVIRONMENTS": "200",
                                             "PYTHONPATH": sources})
        server.start()
        try:
            client = lambda_client(server.endpoint)
            _create(client, "hello", HELLO)
            _timed_invoke(client, "hello")
            path = "/2015-03-31/functions/hello/invocations"
            count = 2_000 if quick else 10_000
            one, server_us, worker_us = timed_load(server, path, 1, count)
            figures["warm_p50_ms"] = one.p50
            figures["warm_p99_ms"] = one.percentile(99)
            figures["cpu_us_1"] = {"server": server_us, "workers": worker_us}
            for clients in (16, 64):
                run_load(server.endpoint, path, b"{}", clients=clients,
                         total=clients * 20, time_limit_s=30)  # start them all
                for pinned in (False, True) if placement != "off" else (False,):
                    name = f"{clients}{' pinned' if pinned else ''}"
                    load, server_us, worker_us = timed_load(server, path, clients, count * 3,
                                                            pinned)
                    figures[f"rps {name}"] = load.per_second
                    figures[f"errors {name}"] = load.errors
                    figures[f"p99_ms {name}"] = load.percentile(99)
                    figures[f"cpu_us {name}"] = {"server": server_us, "workers": worker_us}
            if wrk.available():
                url = server.endpoint + path
                time.sleep(2.5)  # the CPU placement goes back to shared after the loads above
                one_by_one = wrk.run_wrk(url, 1, 8)
                figures["wrk warm p50/p99 ms"] = (one_by_one.p50_ms, one_by_one.p99_ms)
                for clients in (16, 64):
                    for pinned in (False, True) if placement != "off" else (False,):
                        name = f"{clients}{' pinned' if pinned else ''}"
                        result = wrk.run_wrk(url, clients, 8, loadgen_cpus(pinned))
                        figures[f"wrk rps {name}"] = result.per_second
                        figures[f"wrk p50/p99 ms {name}"] = (result.p50_ms, result.p99_ms)
                        figures[f"wrk errors {name}"] = result.errors
            if not everything:
                return figures
            trials = 5 if quick else 15
            figures["hello"] = cold_starts(client, "cold-hello", HELLO, trials)
            figures["import boto3"] = cold_starts(client, "cold-import", IMPORTS_BOTO3, trials)
            figures["boto3 client"] = cold_starts(client, "cold-boto3", WITH_BOTO3, trials)
            figures["memory"] = idle_environment_memory(server)
        finally:
            server.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--placement", action="store_true",
                        help="add a fork-server run with --cpu-placement auto")
    args = parser.parse_args()
    load_before = os.getloadavg()
    compiled = not http.__file__.endswith(".py")
    build = "compiled" if compiled else "Python sources"
    results = {f"fork-server ({build})": measure(True, "off", args.quick)}
    if compiled:
        results["fork-server (Python sources)"] = measure(True, "off", args.quick,
                                                          everything=False,
                                                          sources=PYTHON_SOURCES)
    if args.placement:
        results[f"fork-server ({build}), placement auto"] = measure(True, "auto", args.quick,
                                                                    everything=False)
    results[f"fresh interpreter ({build})"] = measure(False, "off", args.quick)
    print(f"conditions: {os.cpu_count()} CPUs, load average before {load_before[0]:.2f}, "
          f"after {os.getloadavg()[0]:.2f} (the benchmark's own load included)")
    for mode, figures in results.items():
        print(f"== {mode}")
        for key, value in figures.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
