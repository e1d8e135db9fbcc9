"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s) and DeadLetterConfig over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.api.control_kit import ARN, create, new_version, refusal
from tests.helpers import TurnoutProcess
from tests.helpers import lambda_client as make_client

QUEUE = "arn:aws:sqs:us-east-1:000000000000:failures"
TOPIC = "arn:aws:sns:us-east-1:000000000000:outcomes"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/default"
BUCKET = "arn:aws:s3:::failed-events"
EMPTY_DESTINATIONS = {"OnSuccess": {}, "OnFailure": {}}


def body(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def test_put_get_list_delete_lifecycle(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    put = lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": QUEUE}})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["FunctionArn"] == f"{ARN}:{fn_name}:$LATEST"
    assert isinstance(put["LastModified"], dt.datetime) and put["LastModified"] >= before
    assert (put["MaximumRetryAttempts"], put["MaximumEventAgeInSeconds"]) == (1, 120)
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": QUEUE}}
    assert body(lambda_client.get_function_event_invoke_config(FunctionName=fn_name)) == body(put)
    assert body(lambda_client.get_function_event_invoke_config(
        FunctionName=fn_name, Qualifier="$LATEST")) == body(put)
    listed = lambda_client.list_function_event_invoke_configs(FunctionName=fn_name)
    assert listed["FunctionEventInvokeConfigs"] == [body(put)]
    deleted = lambda_client.delete_function_event_invoke_config(FunctionName=fn_name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert refusal(lambda: lambda_client.get_function_event_invoke_config(
        FunctionName=fn_name)) == (404, "ResourceNotFoundException",
                                   f"The function {ARN}:{fn_name}:$LATEST doesn't have an "
                                   "EventInvokeConfig")
    assert lambda_client.list_function_event_invoke_configs(
        FunctionName=fn_name)["FunctionEventInvokeConfigs"] == []


def test_put_replaces_and_update_merges(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, MaximumRetryAttempts=0,
        DestinationConfig={"OnSuccess": {"Destination": TOPIC}})
    merged = lambda_client.update_function_event_invoke_config(
        FunctionName=fn_name, MaximumEventAgeInSeconds=3600)
    assert (merged["MaximumRetryAttempts"], merged["MaximumEventAgeInSeconds"]) == (0, 3600)
    assert merged["DestinationConfig"]["OnSuccess"] == {"Destination": TOPIC}
    moved = lambda_client.update_function_event_invoke_config(
        FunctionName=fn_name, DestinationConfig={"OnFailure": {"Destination": BUS}})
    assert moved["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": BUS}}
    assert moved["MaximumRetryAttempts"] == 0
    replaced = lambda_client.put_function_event_invoke_config(FunctionName=fn_name,
                                                              MaximumRetryAttempts=2)
    assert "MaximumEventAgeInSeconds" not in replaced
    assert replaced["DestinationConfig"] == EMPTY_DESTINATIONS


def test_configs_per_qualifier_and_paging(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    new_version(lambda_client, fn_name, 4)
    new_version(lambda_client, fn_name, 5)
    lambda_client.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="2")
    for qualifier, retries in (("live", 0), ("2", 1), (None, 2), ("1", 0)):
        target = {"Qualifier": qualifier} if qualifier else {}
        lambda_client.put_function_event_invoke_config(FunctionName=fn_name,
                                                       MaximumRetryAttempts=retries, **target)
    by_alias = lambda_client.get_function_event_invoke_config(FunctionName=f"{fn_name}:live")
    assert (by_alias["FunctionArn"], by_alias["MaximumRetryAttempts"]) == (
        f"{ARN}:{fn_name}:live", 0)
    seen: list[str] = []
    marker: dict[str, str] = {}
    for _ in range(5):
        listed = lambda_client.list_function_event_invoke_configs(FunctionName=fn_name,
                                                                  MaxItems=3, **marker)
        seen += [item["FunctionArn"].rsplit(":", 1)[1]
                 for item in listed["FunctionEventInvokeConfigs"]]
        if "NextMarker" not in listed:
            break
        marker = {"Marker": listed["NextMarker"]}
    assert seen == ["$LATEST", "1", "2", "live"]


def test_configs_go_with_their_version_alias_and_function(lambda_client: Any,
                                                          fn_name: str) -> None:
    create(lambda_client, fn_name)
    new_version(lambda_client, fn_name, 4)
    lambda_client.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    for qualifier in ("live", "1", "$LATEST"):
        lambda_client.put_function_event_invoke_config(FunctionName=fn_name,
                                                       Qualifier=qualifier,
                                                       MaximumRetryAttempts=1)
    lambda_client.delete_alias(FunctionName=fn_name, Name="live")
    lambda_client.delete_function(FunctionName=fn_name, Qualifier="1")
    listed = lambda_client.list_function_event_invoke_configs(FunctionName=fn_name)
    assert [item["FunctionArn"] for item in listed["FunctionEventInvokeConfigs"]] == [
        f"{ARN}:{fn_name}:$LATEST"]
    lambda_client.delete_function(FunctionName=fn_name)
    create(lambda_client, fn_name)
    assert lambda_client.list_function_event_invoke_configs(
        FunctionName=fn_name)["FunctionEventInvokeConfigs"] == []


@pytest.fixture(scope="module")
def target_function(turnout_server: TurnoutProcess) -> str:
    """A function other functions may name as their destination."""
    create(make_client(turnout_server.endpoint), "destination-target")
    return f"{ARN}:destination-target"


@pytest.mark.parametrize("destination", [QUEUE, TOPIC, BUS, "function", "function:$LATEST"])
def test_accepted_destinations(lambda_client: Any, fn_name: str, target_function: str,
                               destination: str) -> None:
    create(lambda_client, fn_name)
    destination = destination.replace("function", target_function)
    config = {"OnSuccess": {"Destination": destination},
              "OnFailure": {"Destination": destination}}
    put = lambda_client.put_function_event_invoke_config(FunctionName=fn_name,
                                                         DestinationConfig=config)
    assert put["DestinationConfig"] == config


def test_s3_is_an_on_failure_destination_only(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    put = lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, DestinationConfig={"OnFailure": {"Destination": BUCKET}})
    assert put["DestinationConfig"]["OnFailure"] == {"Destination": BUCKET}
    assert refusal(lambda: lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, DestinationConfig={"OnSuccess": {"Destination": BUCKET}})) == (
        400, "InvalidParameterValueException",
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination="
        f"{BUCKET}), onFailure=null) is invalid.")


def test_empty_destination_removes_it(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, DestinationConfig={"OnFailure": {"Destination": QUEUE}})
    updated = lambda_client.update_function_event_invoke_config(
        FunctionName=fn_name, DestinationConfig={"OnFailure": {"Destination": ""}})
    assert updated["DestinationConfig"] == EMPTY_DESTINATIONS


def _bad_requests(name: str) -> list[tuple[str, dict[str, Any], tuple[int, str, str]]]:
    missing = f"{ARN}:{name}-missing"
    return [
        ("put", {"FunctionName": name}, (
            400, "InvalidParameterValueException",
            "You must specify at least one of error handling or destination setting.")),
        ("update", {"FunctionName": name}, (
            400, "InvalidParameterValueException",
            "You must specify at least one of error handling or destination setting.")),
        ("put", {"FunctionName": f"{name}-missing"}, (  # checked before the function
            400, "InvalidParameterValueException",
            "You must specify at least one of error handling or destination setting.")),
        ("put", {"FunctionName": name, "MaximumRetryAttempts": 3}, (
            400, "ValidationException",
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to "
            "satisfy constraint: Member must have value less than or equal to 2")),
        ("put", {"FunctionName": name, "MaximumEventAgeInSeconds": 59}, (
            400, "ValidationException",
            "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value greater than or equal to 60")),
        ("put", {"FunctionName": name, "MaximumEventAgeInSeconds": 21601}, (
            400, "ValidationException",
            "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed "
            "to satisfy constraint: Member must have value less than or equal to 21600")),
        ("put", {"FunctionName": f"{name}-missing", "MaximumRetryAttempts": 1}, (
            404, "ResourceNotFoundException", "The function doesn't exist.")),
        ("put", {"FunctionName": name, "Qualifier": "7", "MaximumRetryAttempts": 1}, (
            404, "ResourceNotFoundException", "The function doesn't exist.")),
        ("update", {"FunctionName": name, "MaximumRetryAttempts": 1}, (
            404, "ResourceNotFoundException",
            f"The function {ARN}:{name}:$LATEST doesn't have an EventInvokeConfig")),
        ("get", {"FunctionName": name, "Qualifier": "7"}, (
            404, "ResourceNotFoundException",
            f"The function {ARN}:{name}:7 doesn't have an EventInvokeConfig")),
        ("delete", {"FunctionName": name}, (
            404, "ResourceNotFoundException",
            f"The function {ARN}:{name} doesn't have an EventInvokeConfig")),
        ("list", {"FunctionName": f"{name}-missing"}, (
            404, "ResourceNotFoundException", "The function doesn't exist.")),
        ("put", {"FunctionName": name,
                 "DestinationConfig": {"OnFailure": {"Destination": missing}}}, (
            400, "InvalidParameterValueException",
            f"The destination ARN {missing} is invalid.")),
        ("put", {"FunctionName": name,
                 "DestinationConfig": {"OnSuccess": {"Destination": f"{ARN}:{name}:1"}}}, (
            400, "InvalidParameterValueException",
            "You can't specify the function as a destination for itself.")),
        ("put", {"FunctionName": name, "DestinationConfig": {
            "OnSuccess": {"Destination": QUEUE},
            "OnFailure": {"Destination": "arn:aws:dynamodb:us-east-1:000000000000:table/t"}}},
         (400, "InvalidParameterValueException",
          f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination="
          f"{QUEUE}), onFailure=OnFailure(destination=arn:aws:dynamodb:us-east-1:000000000000:"
          "table/t)) is invalid.")),
    ]


@pytest.mark.parametrize("case", range(len(_bad_requests("x"))))
def test_refusals(lambda_client: Any, turnout_server: TurnoutProcess, fn_name: str,
                  case: int) -> None:
    create(lambda_client, fn_name)
    operation, request, expected = _bad_requests(fn_name)[case]
    unchecked = boto3.client(  # the server, not botocore, must refuse what breaks the model
        "lambda", endpoint_url=turnout_server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    calls = {
        "put": unchecked.put_function_event_invoke_config,
        "update": unchecked.update_function_event_invoke_config,
        "get": unchecked.get_function_event_invoke_config,
        "delete": unchecked.delete_function_event_invoke_config,
        "list": unchecked.list_function_event_invoke_configs,
    }
    assert refusal(lambda: calls[operation](**request)) == expected
    assert lambda_client.list_function_event_invoke_configs(
        FunctionName=fn_name)["FunctionEventInvokeConfigs"] == []


def test_dead_letter_config_on_create_and_update(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name, DeadLetterConfig={"TargetArn": QUEUE})
    assert created["DeadLetterConfig"] == {"TargetArn": QUEUE}
    updated = lambda_client.update_function_configuration(
        FunctionName=fn_name, DeadLetterConfig={"TargetArn": TOPIC})
    assert updated["DeadLetterConfig"] == {"TargetArn": TOPIC}
    cleared = lambda_client.update_function_configuration(FunctionName=fn_name,
                                                          DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in cleared


@pytest.mark.parametrize("target", [BUS, f"{ARN}:other", BUCKET])
def test_dead_letter_target_must_be_a_queue_or_topic(lambda_client: Any, fn_name: str,
                                                     target: str) -> None:
    status, code, message = refusal(lambda: create(lambda_client, fn_name,
                                                   DeadLetterConfig={"TargetArn": target}))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert target in message
    create(lambda_client, fn_name)
    assert refusal(lambda: lambda_client.update_function_configuration(
        FunctionName=fn_name, DeadLetterConfig={"TargetArn": target}))[1] == (
        "InvalidParameterValueException")


def test_configs_survive_kill(fresh_server: TurnoutProcess) -> None:
    client = make_client(fresh_server.endpoint)
    create(client, "durable")
    put = client.put_function_event_invoke_config(
        FunctionName="durable", MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": QUEUE}})
    fresh_server.kill()
    fresh_server.start()
    client = make_client(fresh_server.endpoint)
    assert body(client.get_function_event_invoke_config(FunctionName="durable")) == body(put)
