"""Weighted aliases at invoke time, and sticky routing by key (issue 5)."""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.helpers import make_zip

ROLE = "arn:aws:iam::000000000000:role/test"
SOURCE = ("import pathlib, time\ndef handler(event, context):\n"
          "    if 'started' in event:\n        pathlib.Path(event['started']).touch()\n"
          "    time.sleep(event.get('sleep', 0))\n    return context.function_version\n")


def two_versions(client: Any, name: str, weight: float) -> None:
    client.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                           Role=ROLE, Code={"ZipFile": make_zip({"index.py": SOURCE})})
    client.publish_version(FunctionName=name)
    client.update_function_configuration(FunctionName=name, Timeout=5)
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1",
                        RoutingConfig={"AdditionalVersionWeights": {"2": weight}})


def run(client: Any, name: str, **extra: Any) -> tuple[str, str]:
    response = client.invoke(FunctionName=f"{name}:live", Payload=b"{}", **extra)
    return response["ExecutedVersion"], json.loads(response["Payload"].read())


def test_a_weighted_alias_splits_1000_invocations_within_binomial_bounds(
        lambda_client: Any, fn_name: str) -> None:
    two_versions(lambda_client, fn_name, 0.3)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: run(lambda_client, fn_name), range(1000)))
    assert all(executed == seen for executed, seen in results)  # header = what the code saw
    on_second = Counter(executed for executed, _ in results)["2"]
    # Binomial(1000, 0.3): mean 300, sd 14.5; ±5 sd fails by chance about once in 3.5 million.
    spread = 5 * math.sqrt(1000 * 0.3 * 0.7)
    assert 300 - spread <= on_second <= 300 + spread, on_second


def test_an_alias_update_does_not_move_a_running_invocation(lambda_client: Any, fn_name: str,
                                                           tmp_path: Path) -> None:
    two_versions(lambda_client, fn_name, 0.0)
    outcome: dict[str, Any] = {}
    started = tmp_path / "started"

    def slow() -> None:
        event = json.dumps({"sleep": 1, "started": str(started)}).encode()
        response = lambda_client.invoke(FunctionName=f"{fn_name}:live", Payload=event)
        outcome["version"] = response["ExecutedVersion"]
        outcome["seen"] = json.loads(response["Payload"].read())

    running = threading.Thread(target=slow)
    running.start()
    deadline = time.monotonic() + 20
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started.exists(), "the invocation did not start"
    lambda_client.update_alias(FunctionName=fn_name, Name="live", FunctionVersion="2",
                               RoutingConfig={"AdditionalVersionWeights": {}})
    running.join(timeout=30)
    assert outcome == {"version": "1", "seen": "1"}
    assert run(lambda_client, fn_name)[0] == "2"


def _keyed(key: str) -> str:
    return base64.b64encode(json.dumps({"custom": {"turnout-routing-key": key}}).encode()).decode()


def test_sticky_routing_keeps_a_key_on_one_version(lambda_client: Any, fn_name: str) -> None:
    two_versions(lambda_client, fn_name, 0.3)
    first = {key: run(lambda_client, fn_name, ClientContext=_keyed(key))[0]
             for key in (f"user-{n}" for n in range(200))}
    again = {key: run(lambda_client, fn_name, ClientContext=_keyed(key))[0] for key in first}
    assert again == first
    share = Counter(first.values())["2"] / len(first)
    assert 0.15 < share < 0.45
    lambda_client.update_alias(FunctionName=fn_name, Name="live",
                               RoutingConfig={"AdditionalVersionWeights": {"2": 0.6}})
    raised = {key: run(lambda_client, fn_name, ClientContext=_keyed(key))[0] for key in first}
    assert all(raised[key] == "2" for key, version in first.items() if version == "2")
