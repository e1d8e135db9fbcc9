"""Throughput through a weighted alias against a plain version, side by side, over HTTP.

The same function is invoked at 64 clients three ways: version 1 directly, an
alias pointing at version 1, and an alias splitting 50/50 between versions 1
and 2. The differences are the cost of alias resolution and weighted routing
as a user sees it. Bounded in count and time.

    .venv/bin/python -m bench.bench_weighted_alias
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.loadgen import run_load
from tests.helpers import TurnoutProcess, lambda_client, make_zip

SOURCE = "def handler(event, context):\n    return None\n"
TARGETS = {"version 1": "bench:1", "alias → 1": "bench:plain", "alias 50/50 → 1, 2": "bench:split"}


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        server = TurnoutProcess(Path(data))
        server.start()
        try:
            client = lambda_client(server.endpoint)
            client.create_function(FunctionName="bench", Runtime="python3.11",
                                   Handler="index.handler",
                                   Role="arn:aws:iam::000000000000:role/bench",
                                   Code={"ZipFile": make_zip({"index.py": SOURCE})})
            client.publish_version(FunctionName="bench")
            client.update_function_configuration(FunctionName="bench", Timeout=4)
            client.publish_version(FunctionName="bench")
            client.create_alias(FunctionName="bench", Name="plain", FunctionVersion="1")
            client.create_alias(FunctionName="bench", Name="split", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
            for rounds in range(2):  # the first round warms every environment
                for title, target in TARGETS.items():
                    path = f"/2015-03-31/functions/{target}/invocations"
                    load = run_load(server.endpoint, path, b"{}", clients=64,
                                                total=20_000, time_limit_s=10)
                    if rounds:
                        print(f"{title:<22} {load.per_second:8.0f} invocations/s  "
                              f"p50 {load.p50:.2f} ms  p99 {load.percentile(99):.2f} ms  "
                              f"errors {load.errors}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
