"""Provisioned concurrency over the API: configs, status, warm starts, spillover, failures,
the burst recipe, and how it counts against reserved and account concurrency."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.concurrency_kit import (
    BROKEN_INIT,
    create_sleeper,
    invoke,
    invoke_parallel,
    wait_status,
)
from tests.api.control_kit import refusal
from tests.helpers import TurnoutProcess, lambda_client, make_zip

pytestmark = pytest.mark.api


def two_versions_and_alias(client: Any, name: str, alias: str = "live") -> None:
    create_sleeper(client, name, Publish=True)
    client.update_function_configuration(FunctionName=name, Timeout=31)  # a new version
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")


def test_config_lifecycle(lambda_client: Any, fn_name: str) -> None:
    two_versions_and_alias(lambda_client, fn_name)
    put = lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (put["RequestedProvisionedConcurrentExecutions"], put["Status"]) == (2, "IN_PROGRESS")
    ready = wait_status(lambda_client, fn_name, "live", "READY")
    assert (ready["AllocatedProvisionedConcurrentExecutions"],
            ready["AvailableProvisionedConcurrentExecutions"]) == (2, 2)
    assert ready["LastModified"] == put["LastModified"]
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="2", ProvisionedConcurrentExecutions=1)
    pages = lambda_client.get_paginator("list_provisioned_concurrency_configs").paginate(
        FunctionName=fn_name, PaginationConfig={"PageSize": 1})
    listed = [item for page in pages for item in page["ProvisionedConcurrencyConfigs"]]
    assert [item["FunctionArn"].rsplit(":", 1)[1] for item in listed] == ["2", "live"]
    lambda_client.delete_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="live")
    status, code, message = refusal(lambda: lambda_client.get_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live"))
    assert (status, code, message) == (404, "ProvisionedConcurrencyConfigNotFoundException",
                                       "No Provisioned Concurrency Config found for this function")


@pytest.mark.parametrize(("qualifier", "expected"), [
    ("$LATEST", (400, "InvalidParameterValueException",
                 "Provisioned Concurrency Configs cannot be applied to unpublished function "
                 "versions.")),
    ("1", (409, "ResourceConflictException",
           "Version is pointed by a Provisioned Concurrency alias")),
])
def test_refused_configs(lambda_client: Any, fn_name: str, qualifier: str,
                         expected: tuple[int, str, str]) -> None:
    two_versions_and_alias(lambda_client, fn_name)
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert refusal(lambda: lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier=qualifier, ProvisionedConcurrentExecutions=1)) == expected


def test_warm_through_the_alias_then_spillover(lambda_client: Any, fn_name: str) -> None:
    two_versions_and_alias(lambda_client, fn_name)
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    wait_status(lambda_client, fn_name, "live", "READY")
    first = invoke(lambda_client, f"{fn_name}:live")
    assert first == {"version": "1", "init": False, "function_error": None}
    both = invoke_parallel(lambda_client, f"{fn_name}:live", 2, sleep=0.5)
    assert [r["init"] for r in both] == [False, False]
    three = invoke_parallel(lambda_client, f"{fn_name}:live", 3, sleep=2.5)
    assert sorted(r["init"] for r in three) == [False, False, True]  # one spills over


def test_failing_init_is_failed_with_a_reason(lambda_client: Any, fn_name: str) -> None:
    create_sleeper(lambda_client, fn_name, code=BROKEN_INIT, Publish=True)
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="1", ProvisionedConcurrentExecutions=1)
    failed = wait_status(lambda_client, fn_name, "1", "FAILED")
    assert "boom at init" in failed["StatusReason"]
    assert failed["AllocatedProvisionedConcurrentExecutions"] == 0


def test_burst_recipe_pre_warm_a_version_then_switch(lambda_client: Any, fn_name: str) -> None:
    """Seed article 000: Prod → 1; pre-warm version 2; update-alias Prod → 2."""
    two_versions_and_alias(lambda_client, fn_name, alias="Prod")
    assert invoke(lambda_client, f"{fn_name}:Prod")["init"] is True  # version 1, cold
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="2", ProvisionedConcurrentExecutions=3)
    wait_status(lambda_client, fn_name, "2", "READY")
    lambda_client.update_alias(FunctionName=fn_name, Name="Prod", FunctionVersion="2")
    burst = invoke_parallel(lambda_client, f"{fn_name}:Prod", 3, sleep=0.5)
    assert burst == [{"version": "2", "init": False, "function_error": None}] * 3


def test_burst_recipe_warmed_through_the_qualifier(lambda_client: Any, fn_name: str) -> None:
    two_versions_and_alias(lambda_client, fn_name, alias="Prod")
    warmup = invoke_parallel(lambda_client, f"{fn_name}:2", 2, sleep=1.5)
    assert [r["init"] for r in warmup] == [True, True]
    lambda_client.update_alias(FunctionName=fn_name, Name="Prod", FunctionVersion="2")
    burst = invoke_parallel(lambda_client, f"{fn_name}:Prod", 2, sleep=0.5)
    assert burst == [{"version": "2", "init": False, "function_error": None}] * 2


def test_repointing_a_provisioned_alias_prepares_the_new_version(lambda_client: Any,
                                                                 fn_name: str) -> None:
    two_versions_and_alias(lambda_client, fn_name)
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    wait_status(lambda_client, fn_name, "live", "READY")
    lambda_client.update_alias(FunctionName=fn_name, Name="live", FunctionVersion="2")
    # Right after the switch: version 2's environments were prepared before it.
    warm = invoke_parallel(lambda_client, f"{fn_name}:live", 2, sleep=0.5)
    assert warm == [{"version": "2", "init": False, "function_error": None}] * 2
    ready = wait_status(lambda_client, fn_name, "live", "READY")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2


def test_provisioned_counts_against_the_reservation(lambda_client: Any, fn_name: str) -> None:
    two_versions_and_alias(lambda_client, fn_name)
    lambda_client.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=3)
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    status, code, _ = refusal(lambda: lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="2", ProvisionedConcurrentExecutions=2))
    assert (status, code) == (400, "InvalidParameterValueException")
    wait_status(lambda_client, fn_name, "live", "READY")
    # One unit of the reservation is left for on-demand invocations ($LATEST).
    results = invoke_parallel(lambda_client, fn_name, 3, sleep=2.5)
    assert sorted(r.get("reason") or "ran" for r in results) == [
        "ReservedFunctionConcurrentInvocationLimitExceeded",
        "ReservedFunctionConcurrentInvocationLimitExceeded", "ran"]


def test_provisioned_counts_against_the_account(lambda_client: Any, fn_name: str) -> None:
    two_versions_and_alias(lambda_client, fn_name)
    before = lambda_client.get_account_settings()["AccountLimit"]
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="2", ProvisionedConcurrentExecutions=2)
    after = lambda_client.get_account_settings()["AccountLimit"]
    assert after["UnreservedConcurrentExecutions"] == before["UnreservedConcurrentExecutions"] - 2
    lambda_client.delete_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="2")


ORCHESTRATOR = make_zip({"app.py": (
    "import base64, json\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "import boto3\n"
    "from botocore.config import Config\n"
    "client = boto3.client('lambda', config=Config(max_pool_connections=32, read_timeout=60,\n"
    "                                             retries={'max_attempts': 1}))\n"
    "def call(target):\n"
    "    answer = client.invoke(FunctionName=target, Payload=b'{\"sleep\": 2.5}',\n"
    "                           LogType='Tail')\n"
    "    return 'Init Duration' in base64.b64decode(answer['LogResult']).decode()\n"
    "def handler(event, context):\n"
    "    with ThreadPoolExecutor(event['n']) as pool:\n"
    "        cold = list(pool.map(call, [event['target']] * event['n']))\n"
    "    return {'cold': sum(cold)}\n")})


def test_orchestrator_sees_no_init_within_the_provisioned_ten(lambda_client: Any,
                                                              fn_name: str) -> None:
    """Issue 5: a function invokes a worker alias with 10 provisioned environments."""
    worker = f"{fn_name}-worker"
    create_sleeper(lambda_client, worker, Publish=True)
    lambda_client.create_alias(FunctionName=worker, Name="live", FunctionVersion="1")
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=worker, Qualifier="live", ProvisionedConcurrentExecutions=10)
    create_sleeper(lambda_client, fn_name, code=ORCHESTRATOR)
    wait_status(lambda_client, worker, "live", "READY")

    def orchestrate(n: int) -> int:
        answer = lambda_client.invoke(FunctionName=fn_name, Payload=json.dumps(
            {"target": f"{worker}:live", "n": n}).encode())
        assert "FunctionError" not in answer, answer["Payload"].read()
        return int(json.loads(answer["Payload"].read())["cold"])

    assert orchestrate(10) == 0
    assert orchestrate(11) == 1


def test_configs_survive_kill_and_are_provisioned_again(fresh_server: TurnoutProcess,
                                                        fn_name: str) -> None:
    client = lambda_client(fresh_server.endpoint)
    two_versions_and_alias(client, fn_name)
    client.put_provisioned_concurrency_config(
        FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    stamp = wait_status(client, fn_name, "live", "READY")["LastModified"]
    fresh_server.kill()
    fresh_server.start()
    client = lambda_client(fresh_server.endpoint)
    ready = wait_status(client, fn_name, "live", "READY")
    assert (ready["RequestedProvisionedConcurrentExecutions"], ready["LastModified"]) == (1,
                                                                                        stamp)
    assert invoke(client, f"{fn_name}:live")["init"] is False
