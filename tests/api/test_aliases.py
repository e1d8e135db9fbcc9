"""Aliases over the real API, the runbook commands of issue 3 included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.control_kit import ARN, create, new_version, refusal


@pytest.fixture
def two_versions(lambda_client: Any, fn_name: str) -> str:
    create(lambda_client, fn_name)
    new_version(lambda_client, fn_name, 4)
    new_version(lambda_client, fn_name, 5)
    return fn_name


def test_runbook_commands(lambda_client: Any, fn_name: str) -> None:
    """The boto3 equivalents of the AWS CLI commands in issue 3, in order."""
    create(lambda_client, fn_name)
    published = lambda_client.publish_version(FunctionName=fn_name,
                                              Description="Normal_Traffic")
    assert published["Version"] == "1"
    alias = lambda_client.create_alias(FunctionName=fn_name, Name="Prod", FunctionVersion="1")
    assert alias["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert alias["AliasArn"] == f"{ARN}:{fn_name}:Prod"
    new_version(lambda_client, fn_name, 10)
    moved = lambda_client.update_alias(FunctionName=fn_name, Name="Prod", FunctionVersion="2")
    assert moved["FunctionVersion"] == "2"
    assert moved["RevisionId"] != alias["RevisionId"]
    lambda_client.create_alias(FunctionName=fn_name, Name="prod", FunctionVersion="1")
    weighted = lambda_client.update_alias(FunctionName=fn_name, Name="prod",
                                          RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    assert weighted["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
    assert weighted["FunctionVersion"] == "1"


def test_get_alias_and_qualified_reads(lambda_client: Any, two_versions: str) -> None:
    name = two_versions
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="2",
                               Description="the live one")
    got = lambda_client.get_alias(FunctionName=name, Name="live")
    assert (got["Name"], got["FunctionVersion"], got["Description"]) == ("live", "2",
                                                                         "the live one")
    config = lambda_client.get_function_configuration(FunctionName=f"{name}:live")
    assert (config["Version"], config["Timeout"]) == ("2", 5)
    assert config["FunctionArn"] == f"{ARN}:{name}:live"


def test_update_alias_routing_lifecycle(lambda_client: Any, two_versions: str) -> None:
    name = two_versions
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="2",
                               RoutingConfig={"AdditionalVersionWeights": {"1": 0.25}})
    described = lambda_client.update_alias(FunctionName=name, Name="live", Description="d")
    assert described["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.25}}
    cleared = lambda_client.update_alias(FunctionName=name, Name="live",
                                         RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in cleared or not cleared["RoutingConfig"].get(
        "AdditionalVersionWeights")
    status, code, _ = refusal(lambda: lambda_client.update_alias(
        FunctionName=name, Name="live", FunctionVersion="1", RevisionId="stale"))
    assert (status, code) == (412, "PreconditionFailedException")
    current = lambda_client.get_alias(FunctionName=name, Name="live")
    updated = lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="1",
                                         RevisionId=current["RevisionId"])
    assert updated["FunctionVersion"] == "1"


@pytest.mark.parametrize(("request_options", "status", "code", "message"), [
    ({"FunctionVersion": "2", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.1,
                                                                             "3": 0.1}}},
     400, "InvalidParameterValueException",
     "Number of items in AdditionalVersionWeights cannot be greater than 1"),
    ({"FunctionVersion": "2", "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}},
     400, "InvalidParameterValueException",
     "Invalid function version 2. Function version 2 is already included in routing "
     "configuration."),
    ({"FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
     400, "InvalidParameterValueException",
     "$LATEST is not supported for an alias pointing to more than 1 version"),
    ({"FunctionVersion": "2", "RoutingConfig": {"AdditionalVersionWeights": {"$LATEST": 0.5}}},
     400, "ValidationException", "[0-9]+"),
    ({"FunctionVersion": "2", "RoutingConfig": {"AdditionalVersionWeights": {"1": 1.5}}},
     400, "ValidationException", "additionalVersionWeights"),
    ({"FunctionVersion": "2", "RoutingConfig": {"AdditionalVersionWeights": {"9": 0.5}}},
     404, "ResourceNotFoundException", "Function not found: {arn}:9"),
    ({"FunctionVersion": "9"}, 404, "ResourceNotFoundException", "Function not found: {arn}:9"),
])
def test_create_alias_refusals(lambda_client: Any, two_versions: str,
                               request_options: dict[str, Any], status: int, code: str,
                               message: str) -> None:
    name = two_versions
    got = refusal(lambda: lambda_client.create_alias(FunctionName=name, Name="canary",
                                                     **request_options))
    assert got[:2] == (status, code)
    assert message.format(arn=f"{ARN}:{name}") in got[2]
    assert lambda_client.list_aliases(FunctionName=name)["Aliases"] == []


@pytest.mark.parametrize("alias", ["123", "has space", "a" * 129])
def test_bad_alias_names(lambda_client: Any, two_versions: str, alias: str) -> None:
    status, code, _ = refusal(lambda: lambda_client.create_alias(
        FunctionName=two_versions, Name=alias, FunctionVersion="1"))
    assert (status, code) == (400, "ValidationException")


def test_duplicate_and_unknown_aliases(lambda_client: Any, two_versions: str) -> None:
    name = two_versions
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert refusal(lambda: lambda_client.create_alias(
        FunctionName=name, Name="live", FunctionVersion="2")) == (
        409, "ResourceConflictException", f"Alias already exists: {ARN}:{name}:live")
    for call in (lambda: lambda_client.get_alias(FunctionName=name, Name="nope"),
                 lambda: lambda_client.update_alias(FunctionName=name, Name="nope",
                                                    FunctionVersion="1"),
                 lambda: lambda_client.delete_alias(FunctionName=name, Name="nope")):
        assert refusal(call) == (404, "ResourceNotFoundException",
                                 f"Cannot find alias arn: {ARN}:{name}:nope")
    assert lambda_client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"


def test_list_aliases_filter_and_paging(lambda_client: Any, two_versions: str) -> None:
    name = two_versions
    for alias, version in (("a", "1"), ("b", "2"), ("c", "1"), ("d", "$LATEST")):
        lambda_client.create_alias(FunctionName=name, Name=alias, FunctionVersion=version)
    lambda_client.update_alias(FunctionName=name, Name="b",
                               RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    first = lambda_client.list_aliases(FunctionName=name, MaxItems=3)
    assert [a["Name"] for a in first["Aliases"]] == ["a", "b", "c"]
    rest = lambda_client.list_aliases(FunctionName=name, MaxItems=3, Marker=first["NextMarker"])
    assert [a["Name"] for a in rest["Aliases"]] == ["d"]
    only_one = lambda_client.list_aliases(FunctionName=name, FunctionVersion="1")
    assert [a["Name"] for a in only_one["Aliases"]] == ["a", "c"]


def test_delete_alias(lambda_client: Any, two_versions: str) -> None:
    name = two_versions
    lambda_client.create_alias(FunctionName=name, Name="gone", FunctionVersion="1")
    deleted = lambda_client.delete_alias(FunctionName=name, Name="gone")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lambda_client.list_aliases(FunctionName=name)["Aliases"] == []
    lambda_client.delete_function(FunctionName=name, Qualifier="1")
