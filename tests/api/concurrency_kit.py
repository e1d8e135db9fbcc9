"""Helpers for the concurrency API tests: functions that sleep, parallel calls, status polls."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from tests.api.control_kit import ROLE
from tests.helpers import make_zip

SLEEPER = make_zip({"app.py": (
    "import time\n"
    "def handler(event, context):\n"
    "    time.sleep(event.get('sleep', 0))\n"
    "    return {'version': context.function_version}\n")})

BROKEN_INIT = make_zip({"app.py": (
    "raise RuntimeError('boom at init')\n"
    "def handler(event, context):\n"
    "    return {}\n")})


def create_sleeper(client: Any, name: str, code: bytes = SLEEPER, **options: Any) -> None:
    client.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE,
                           Handler="app.handler", Code={"ZipFile": code}, Timeout=30, **options)


def invoke(client: Any, name: str, sleep: float = 0.0) -> dict[str, Any]:
    """One synchronous call: ``{"error": code, "reason": ...}`` or
    ``{"version": ..., "init": bool}`` (whether REPORT carried an Init Duration)."""
    try:
        response = client.invoke(FunctionName=name, Payload=f'{{"sleep": {sleep}}}'.encode(),
                                 LogType="Tail")
    except ClientError as error:
        return {"error": error.response["Error"]["Code"], "reason": error.response.get("Reason"),
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
    tail = base64.b64decode(response["LogResult"]).decode()
    response["Payload"].read()
    return {"version": response["ExecutedVersion"], "init": "Init Duration" in tail,
            "function_error": response.get("FunctionError")}


def invoke_parallel(client: Any, name: str, count: int, sleep: float) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: invoke(client, name, sleep), range(count)))


def wait_status(client: Any, name: str, qualifier: str, wanted: str,
                deadline_s: float = 30.0) -> dict[str, Any]:
    """Poll GetProvisionedConcurrencyConfig until ``Status`` is ``wanted``."""
    until = time.monotonic() + deadline_s
    while True:
        config: dict[str, Any] = client.get_provisioned_concurrency_config(
            FunctionName=name, Qualifier=qualifier)
        if config["Status"] == wanted:
            return config
        if time.monotonic() > until:
            raise AssertionError(f"{name}:{qualifier} stayed {config['Status']}: {config}")
        time.sleep(0.05)
