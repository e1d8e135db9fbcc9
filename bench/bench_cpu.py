"""CPU cost per warm invocation, through the HTTP API: server process vs worker processes.

Wall-clock figures are noisy on a shared machine; CPU time per invocation is not.
Runs ``count`` invocations of a hello-world function at ``clients`` concurrent
keep-alive clients and reads ``psutil`` CPU times of the platform process and of
its environments (the zygote's children) before and after.

    .venv/bin/python -m bench.bench_cpu [--count N] [--clients C]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.bench_invoke import HELLO, _create, _timed_invoke, environments, timed_load
from bench.loadgen import run_load
from tests.helpers import TurnoutProcess, lambda_client


def measure(count: int, clients: int, zygote: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data:
        server = TurnoutProcess(Path(data), {"TURNOUT_USE_ZYGOTE": str(zygote).lower()})
        server.start()
        try:
            assert server.process is not None
            client = lambda_client(server.endpoint)
            _create(client, "hello", HELLO)
            for _ in range(clients):
                _timed_invoke(client, "hello")
            path = "/2015-03-31/functions/hello/invocations"
            run_load(server.endpoint, path, b"{}", clients=clients,
                                 total=clients * 50, time_limit_s=10)
            load, server_us, worker_us = timed_load(server, path, clients, count)
            return {"invocations": load.requests, "errors": load.errors,
                    "environments": len(environments(server)), "rps": load.per_second,
                    "p50_ms": load.p50, "p99_ms": load.percentile(99),
                    "server_us": server_us, "worker_us": worker_us}
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="fresh interpreters, no zygote")
    args = parser.parse_args()
    figures = measure(args.count, args.clients, not args.fresh)
    print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in figures.items()))


if __name__ == "__main__":
    main()
