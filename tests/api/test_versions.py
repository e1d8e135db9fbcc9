"""PublishVersion and ListVersionsByFunction over the real API."""

from __future__ import annotations

from typing import Any

from tests.api.control_kit import ARN, create, new_version, refusal
from tests.helpers import make_zip


def test_publish_version_snapshots_latest(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, Description="base")
    published = lambda_client.publish_version(FunctionName=fn_name,
                                              Description="Normal_Traffic")
    assert published["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (published["Version"], published["Description"]) == ("1", "Normal_Traffic")
    assert published["FunctionArn"] == f"{ARN}:{fn_name}:1"
    assert published["State"] == "Active"
    assert "LastUpdateStatus" not in published
    lambda_client.update_function_configuration(FunctionName=fn_name, Timeout=99)
    lambda_client.update_function_code(FunctionName=fn_name,
                                       ZipFile=make_zip({"app.py": "x = 1\n"}))
    one = lambda_client.get_function_configuration(FunctionName=fn_name, Qualifier="1")
    assert (one["Timeout"], one["CodeSha256"], one["Description"]) == (
        3, published["CodeSha256"], "Normal_Traffic")


def test_publishing_unchanged_code_returns_the_last_version(lambda_client: Any,
                                                            fn_name: str) -> None:
    create(lambda_client, fn_name)
    first = lambda_client.publish_version(FunctionName=fn_name)
    again = lambda_client.publish_version(FunctionName=fn_name)
    assert again["Version"] == first["Version"] == "1"
    assert again["RevisionId"] == first["RevisionId"]


def test_version_numbers_are_never_reused(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    assert new_version(lambda_client, fn_name, 4) == "1"
    assert new_version(lambda_client, fn_name, 5) == "2"
    lambda_client.delete_function(FunctionName=fn_name, Qualifier="2")
    assert new_version(lambda_client, fn_name, 6) == "3"
    versions = lambda_client.list_versions_by_function(FunctionName=fn_name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "3"]
    assert versions[0]["FunctionArn"] == f"{ARN}:{fn_name}:$LATEST"


def test_publish_preconditions(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name)
    status, code, message = refusal(lambda: lambda_client.publish_version(
        FunctionName=fn_name, CodeSha256="bm90IHRoZSBjb2Rl"))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message == (f"CodeSHA256 (bm90IHRoZSBjb2Rl) is different from current CodeSHA256 "
                       f"in $LATEST ({created['CodeSha256']}). Please try again with the "
                       "CodeSHA256 in $LATEST.")
    status, code, _ = refusal(lambda: lambda_client.publish_version(
        FunctionName=fn_name, RevisionId="stale"))
    assert (status, code) == (412, "PreconditionFailedException")
    assert lambda_client.list_versions_by_function(FunctionName=fn_name)["Versions"][-1][
        "Version"] == "$LATEST"
    ok = lambda_client.publish_version(FunctionName=fn_name, CodeSha256=created["CodeSha256"],
                                       RevisionId=created["RevisionId"])
    assert ok["Version"] == "1"


def test_list_versions_pages(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    for timeout in range(4, 9):
        new_version(lambda_client, fn_name, timeout)
    first = lambda_client.list_versions_by_function(FunctionName=fn_name, MaxItems=4)
    assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1", "2", "3"]
    rest = lambda_client.list_versions_by_function(FunctionName=fn_name, MaxItems=4,
                                                   Marker=first["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["4", "5"]
    assert "NextMarker" not in rest
    paginator = lambda_client.get_paginator("list_versions_by_function")
    assert sum(len(p["Versions"]) for p in paginator.paginate(
        FunctionName=fn_name, PaginationConfig={"PageSize": 2})) == 6


def test_delete_version_rules(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, Publish=True)
    lambda_client.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    assert refusal(lambda: lambda_client.delete_function(
        FunctionName=fn_name, Qualifier="1")) == (
        409, "ResourceConflictException",
        "Unable to delete version because the following aliases reference it: [live]")
    assert refusal(lambda: lambda_client.delete_function(
        FunctionName=fn_name, Qualifier="$LATEST")) == (
        400, "InvalidParameterValueException",
        "$LATEST version cannot be deleted without deleting the function.")
    assert refusal(lambda: lambda_client.delete_function(
        FunctionName=fn_name, Qualifier="9")) == (
        404, "ResourceNotFoundException", f"Function not found: {ARN}:{fn_name}:9")
    lambda_client.delete_alias(FunctionName=fn_name, Name="live")
    lambda_client.delete_function(FunctionName=f"{fn_name}:1")
    assert [v["Version"] for v in lambda_client.list_versions_by_function(
        FunctionName=fn_name)["Versions"]] == ["$LATEST"]


def test_versions_of_unknown_function(lambda_client: Any, fn_name: str) -> None:
    assert refusal(lambda: lambda_client.publish_version(FunctionName=fn_name))[:2] == (
        404, "ResourceNotFoundException")
    assert refusal(lambda: lambda_client.list_versions_by_function(
        FunctionName=fn_name))[:2] == (404, "ResourceNotFoundException")
