"""Reserved concurrency over the API: configuration, GetAccountSettings, and 429 throttles
with AWS's ``Reason``."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.concurrency_kit import create_sleeper, invoke, invoke_parallel
from tests.api.conftest import TEST_ENV
from tests.api.control_kit import refusal
from tests.helpers import TurnoutProcess, lambda_client

pytestmark = pytest.mark.api


def unreserved(client: Any) -> int:
    return int(client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"])


def test_reserved_concurrency_configuration(lambda_client: Any, fn_name: str) -> None:
    create_sleeper(lambda_client, fn_name)
    before = unreserved(lambda_client)
    assert lambda_client.get_function_concurrency(FunctionName=fn_name).get(
        "ReservedConcurrentExecutions") is None
    answer = lambda_client.put_function_concurrency(FunctionName=fn_name,
                                                    ReservedConcurrentExecutions=7)
    assert answer["ReservedConcurrentExecutions"] == 7
    assert lambda_client.get_function_concurrency(
        FunctionName=fn_name)["ReservedConcurrentExecutions"] == 7
    assert lambda_client.get_function(FunctionName=fn_name)["Concurrency"] == {
        "ReservedConcurrentExecutions": 7}
    assert unreserved(lambda_client) == before - 7
    lambda_client.delete_function_concurrency(FunctionName=fn_name)
    assert "Concurrency" not in lambda_client.get_function(FunctionName=fn_name)
    assert unreserved(lambda_client) == before


def test_reservations_keep_a_hundred_unreserved(lambda_client: Any, fn_name: str) -> None:
    create_sleeper(lambda_client, fn_name)
    too_many = unreserved(lambda_client) - 99
    status, code, message = refusal(lambda: lambda_client.put_function_concurrency(
        FunctionName=fn_name, ReservedConcurrentExecutions=too_many))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message == ("Specified ReservedConcurrentExecutions for function decreases account's "
                       "UnreservedConcurrentExecution below its minimum value of [100].")


def test_missing_function(lambda_client: Any) -> None:
    status, code, _ = refusal(lambda: lambda_client.put_function_concurrency(
        FunctionName="ghost", ReservedConcurrentExecutions=1))
    assert (status, code) == (404, "ResourceNotFoundException")


def test_reserved_two_throttles_the_surplus_of_six_parallel_calls(lambda_client: Any,
                                                                  fn_name: str) -> None:
    create_sleeper(lambda_client, fn_name)
    lambda_client.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=2)
    results = invoke_parallel(lambda_client, fn_name, 6, sleep=2.5)
    ran = [r for r in results if "version" in r]
    throttled = [r for r in results if "error" in r]
    assert 1 <= len(ran) <= 2 and len(throttled) >= 4
    assert {(r["status"], r["error"], r["reason"]) for r in throttled} == {
        (429, "TooManyRequestsException", "ReservedFunctionConcurrentInvocationLimitExceeded")}


def test_reserved_zero_throttles_every_synchronous_call(lambda_client: Any,
                                                        fn_name: str) -> None:
    create_sleeper(lambda_client, fn_name)
    lambda_client.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=0)
    assert invoke(lambda_client, fn_name) == {
        "error": "TooManyRequestsException", "status": 429,
        "reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
    lambda_client.delete_function_concurrency(FunctionName=fn_name)
    assert invoke(lambda_client, fn_name)["version"] == "$LATEST"


@pytest.fixture
def small_account(tmp_path: Path) -> Iterator[TurnoutProcess]:
    """A server whose whole account may run 3 invocations at once."""
    server = TurnoutProcess(tmp_path / "data", {**TEST_ENV, "TURNOUT_ACCOUNT_CONCURRENCY": "3"})
    server.start()
    yield server
    server.stop()


def test_account_pool_exhaustion(small_account: TurnoutProcess, fn_name: str) -> None:
    client = lambda_client(small_account.endpoint)
    create_sleeper(client, fn_name)
    results = invoke_parallel(client, fn_name, 6, sleep=2.5)
    throttled = [r for r in results if "error" in r]
    assert 1 <= 6 - len(throttled) <= 3
    assert {(r["status"], r["reason"]) for r in throttled} == {
        (429, "ConcurrentInvocationLimitExceeded")}


def test_reserved_concurrency_survives_kill(fresh_server: TurnoutProcess, fn_name: str) -> None:
    client = lambda_client(fresh_server.endpoint)
    create_sleeper(client, fn_name)
    client.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=0)
    fresh_server.kill()
    fresh_server.start()
    client = lambda_client(fresh_server.endpoint)
    assert client.get_function_concurrency(
        FunctionName=fn_name)["ReservedConcurrentExecutions"] == 0
    assert invoke(client, fn_name)["reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def invocations_of(server: TurnoutProcess, name: str) -> int:
    url = f"{server.endpoint}/_turnout/metrics?function={name}"
    with urllib.request.urlopen(url, timeout=10) as response:
        result = json.loads(response.read())
    return sum(window["Invocations"] for series in result["Series"]
               for window in series["Windows"])


def test_async_events_beyond_the_reservation_wait_and_all_run(
        lambda_client: Any, turnout_server: TurnoutProcess, fn_name: str) -> None:
    create_sleeper(lambda_client, fn_name)
    lambda_client.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=2)
    for _ in range(8):
        answer = lambda_client.invoke(FunctionName=fn_name, InvocationType="Event",
                                      Payload=b'{"sleep": 0.3}')
        assert answer["StatusCode"] == 202
    until = time.monotonic() + 30
    while invocations_of(turnout_server, fn_name) < 8:
        assert time.monotonic() < until, "the queued events did not all run"
        time.sleep(0.1)
    time.sleep(0.5)
    assert invocations_of(turnout_server, fn_name) == 8
