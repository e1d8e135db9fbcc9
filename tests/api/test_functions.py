"""Functions over the real API with boto3: create, read, list, update, delete, and refusals."""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.api.control_kit import ARN, CODE, ROLE, create, refusal
from tests.helpers import make_zip


def test_create_function_answers_like_lambda(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name, Description="first", Timeout=30, MemorySize=256,
                     Environment={"Variables": {"STAGE": "test"}})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionArn"] == f"{ARN}:{fn_name}"
    assert created["Version"] == "$LATEST"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(CODE).digest()).decode()
    assert created["CodeSize"] == len(CODE)
    assert (created["State"], created["LastUpdateStatus"], created["PackageType"]) == (
        "Active", "Successful", "Zip")
    assert (created["Timeout"], created["MemorySize"], created["Description"]) == (30, 256,
                                                                                  "first")
    assert created["Environment"] == {"Variables": {"STAGE": "test"}}
    assert created["Architectures"] == ["x86_64"]
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["TracingConfig"] == {"Mode": "PassThrough"}
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{fn_name}"}
    assert created["RevisionId"]
    assert created["LastModified"].endswith("+0000")


def test_get_function_and_configuration(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name, Tags={"team": "core"})
    got = lambda_client.get_function(FunctionName=fn_name)
    assert got["Configuration"]["RevisionId"] == created["RevisionId"]
    assert got["Configuration"]["FunctionArn"] == f"{ARN}:{fn_name}"
    assert got["Code"]["RepositoryType"] == "S3"
    assert got["Code"]["Location"]
    assert got["Tags"] == {"team": "core"}
    config = lambda_client.get_function_configuration(FunctionName=f"{ARN}:{fn_name}")
    assert config["CodeSha256"] == created["CodeSha256"]
    qualified = lambda_client.get_function_configuration(FunctionName=fn_name,
                                                         Qualifier="$LATEST")
    assert qualified["FunctionArn"] == f"{ARN}:{fn_name}:$LATEST"


def test_create_with_publish_makes_version_one(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name, Publish=True)
    assert created["Version"] == "1"
    version = lambda_client.get_function_configuration(FunctionName=fn_name, Qualifier="1")
    assert version["FunctionArn"] == f"{ARN}:{fn_name}:1"


def test_list_functions_pages_with_markers(lambda_client: Any, fn_name: str) -> None:
    names = [f"{fn_name}-{i}" for i in range(3)]
    for name in names:
        create(lambda_client, name)
    seen: list[str] = []
    marker: dict[str, str] = {}
    for _ in range(100):
        page = lambda_client.list_functions(MaxItems=2, **marker)
        assert len(page["Functions"]) <= 2
        seen += [f["FunctionName"] for f in page["Functions"]]
        if "NextMarker" not in page:
            break
        marker = {"Marker": page["NextMarker"]}
    assert [n for n in seen if n in names] == names
    assert len(seen) == len(set(seen))


def test_list_functions_all_versions(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, Publish=True)
    paginator = lambda_client.get_paginator("list_functions")
    listed = [f for page in paginator.paginate(FunctionVersion="ALL")
              for f in page["Functions"] if f["FunctionName"] == fn_name]
    assert [f["Version"] for f in listed] == ["$LATEST", "1"]
    assert listed[1]["FunctionArn"] == f"{ARN}:{fn_name}:1"
    plain = [f for page in paginator.paginate() for f in page["Functions"]
             if f["FunctionName"] == fn_name]
    assert [f["Version"] for f in plain] == ["$LATEST"]


def test_update_configuration_and_code(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name)
    updated = lambda_client.update_function_configuration(
        FunctionName=fn_name, Timeout=60, MemorySize=512, Description="second",
        Environment={"Variables": {"AB": "1"}}, RevisionId=created["RevisionId"])
    assert (updated["Timeout"], updated["MemorySize"]) == (60, 512)
    assert updated["RevisionId"] != created["RevisionId"]
    new_code = make_zip({"app.py": "def handler(event, context):\n    return 2\n"})
    coded = lambda_client.update_function_code(FunctionName=fn_name, ZipFile=new_code,
                                               RevisionId=updated["RevisionId"])
    assert coded["CodeSha256"] == base64.b64encode(hashlib.sha256(new_code).digest()).decode()
    assert coded["Timeout"] == 60
    published = lambda_client.update_function_code(
        FunctionName=fn_name, ZipFile=make_zip({"app.py": "x = 3\n"}), Publish=True)
    assert (published["Version"], published["FunctionArn"]) == ("1", f"{ARN}:{fn_name}:1")


def test_update_code_dry_run_stores_nothing(lambda_client: Any, fn_name: str) -> None:
    created = create(lambda_client, fn_name)
    lambda_client.update_function_code(FunctionName=fn_name, DryRun=True,
                                       ZipFile=make_zip({"app.py": "x = 1\n"}))
    assert lambda_client.get_function_configuration(
        FunctionName=fn_name)["CodeSha256"] == created["CodeSha256"]


def test_stale_revision_is_a_412(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    status, code, message = refusal(lambda: lambda_client.update_function_configuration(
        FunctionName=fn_name, Timeout=5, RevisionId="stale"))
    assert (status, code) == (412, "PreconditionFailedException")
    assert message.startswith("The Revision Id provided does not match the latest Revision Id")


@pytest.mark.parametrize(("options", "status", "code", "message"), [
    ({"Runtime": "python3.8"}, 400, "InvalidParameterValueException",
     "The runtime parameter of python3.8 is no longer supported"),
    ({"Runtime": "nodejs20.x"}, 400, "InvalidParameterValueException",
     "not supported by Turnout"),
    ({"Runtime": "cobol"}, 400, "ValidationException", "runtime"),
    ({"Timeout": 901}, 400, "ValidationException",
     "Member must have value less than or equal to 900"),
    ({"MemorySize": 10241}, 400, "ValidationException",
     "Member must have value less than or equal to 10240"),
    ({"Role": "not-a-role"}, 400, "ValidationException", "role"),
    ({"Handler": "has space"}, 400, "ValidationException", "handler"),
    ({"Code": {"ZipFile": b"not a zip"}}, 400, "InvalidParameterValueException",
     "Could not unzip uploaded file. Please check your file, then try to upload again."),
    ({"Code": {"ZipFile": make_zip({"../escape.py": "x"})}}, 400,
     "InvalidParameterValueException", "Could not unzip uploaded file."),
    ({"Code": {"S3Bucket": "bucket", "S3Key": "key.zip"}}, 400,
     "InvalidParameterValueException", "ZipFile"),
    ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, 400,
     "InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION"),
    ({"Tags": {"aws:reserved": "x"}}, 400, "InvalidParameterValueException", "aws:reserved"),
])
def test_create_function_refusals(lambda_client: Any, fn_name: str, options: dict[str, Any],
                                  status: int, code: str, message: str) -> None:
    assert refusal(lambda: create(lambda_client, fn_name, **options))[0] == status
    got = refusal(lambda: create(lambda_client, fn_name, **options))
    assert got[:2] == (status, code)
    assert message in got[2]
    assert refusal(lambda: lambda_client.get_function(FunctionName=fn_name))[1] == \
        "ResourceNotFoundException"


@pytest.mark.parametrize("name", ["bad name", "a" * 65, "name.with.dots", "qualified:1"])
def test_bad_function_names_are_refused(lambda_client: Any, name: str) -> None:
    status, code, _ = refusal(lambda: create(lambda_client, name))
    assert status == 400
    assert code in {"ValidationException", "InvalidParameterValueException"}


def test_duplicate_create_is_409_and_keeps_the_original(lambda_client: Any,
                                                        fn_name: str) -> None:
    created = create(lambda_client, fn_name)
    status, code, message = refusal(lambda: create(
        lambda_client, fn_name, Code={"ZipFile": make_zip({"other.py": "x"})}))
    assert (status, code, message) == (409, "ResourceConflictException",
                                       f"Function already exist: {fn_name}")
    assert lambda_client.get_function_configuration(
        FunctionName=fn_name)["CodeSha256"] == created["CodeSha256"]


def test_custom_runtime_without_handler(lambda_client: Any, fn_name: str) -> None:
    created = lambda_client.create_function(
        FunctionName=fn_name, Runtime="provided.al2023", Role=ROLE,
        Code={"ZipFile": make_zip({"bootstrap": "#!/bin/sh\n"}, mode=0o755)})
    assert created["Runtime"] == "provided.al2023"
    assert "Handler" not in created


@pytest.mark.parametrize("call", [
    lambda c, n: c.get_function(FunctionName=n),
    lambda c, n: c.get_function_configuration(FunctionName=n),
    lambda c, n: c.update_function_configuration(FunctionName=n, Timeout=5),
    lambda c, n: c.update_function_code(FunctionName=n, ZipFile=CODE),
    lambda c, n: c.delete_function(FunctionName=n),
])
def test_unknown_function_is_404_with_its_arn(lambda_client: Any, fn_name: str,
                                              call: Any) -> None:
    status, code, message = refusal(lambda: call(lambda_client, fn_name))
    assert (status, code) == (404, "ResourceNotFoundException")
    assert message == f"Function not found: {ARN}:{fn_name}"


def test_get_with_unknown_qualifier(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    for qualifier in ("7", "nosuchalias"):
        status, code, message = refusal(lambda q=qualifier: lambda_client.get_function(
            FunctionName=fn_name, Qualifier=q))
        assert (status, code) == (404, "ResourceNotFoundException")
        assert message == f"Function not found: {ARN}:{fn_name}:{qualifier}"


def test_conflicting_qualifiers_are_refused(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, Publish=True)
    status, code, message = refusal(lambda: lambda_client.get_function(
        FunctionName=f"{fn_name}:1", Qualifier="$LATEST"))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert "does not match the specified qualifier" in message


def test_delete_function(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, Publish=True)
    lambda_client.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    lambda_client.delete_function(FunctionName=fn_name)
    assert refusal(lambda: lambda_client.get_function(FunctionName=fn_name))[0] == 404
    assert refusal(lambda: lambda_client.get_alias(FunctionName=fn_name, Name="live"))[0] == 404
    create(lambda_client, fn_name)
    assert lambda_client.list_versions_by_function(FunctionName=fn_name)["Versions"][0][
        "Version"] == "$LATEST"


@pytest.mark.parametrize(("options", "feature"), [
    ({"Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:l:1"]}, "Layers"),
    ({"VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}, "VpcConfig"),
    ({"FileSystemConfigs": [{"Arn": "arn:aws:elasticfilesystem:us-east-1:000000000000:"
                                    "access-point/fsap-0123456789abcdef0",
                             "LocalMountPath": "/mnt/x"}]}, "FileSystemConfigs"),
    ({"SnapStart": {"ApplyOn": "PublishedVersions"}}, "SnapStart"),
])
def test_settings_turnout_cannot_honour_are_refused(lambda_client: Any, fn_name: str,
                                                    options: dict[str, Any],
                                                    feature: str) -> None:
    status, code, message = refusal(lambda: create(lambda_client, fn_name, **options))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert feature in message and "not supported by Turnout" in message


def test_code_location_serves_the_zip(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    location = lambda_client.get_function(FunctionName=fn_name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=10) as response:
        assert response.read() == CODE
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(location.rsplit("=", 1)[0] + "=../../state.db", timeout=10)
    assert caught.value.code == 404


def test_updates_of_a_qualified_name_are_refused(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, Publish=True)
    for call in (lambda: lambda_client.update_function_configuration(
                     FunctionName=f"{fn_name}:1", Timeout=5),
                 lambda: lambda_client.update_function_code(
                     FunctionName=f"{fn_name}:1", ZipFile=CODE)):
        assert refusal(call) == (
            400, "InvalidParameterValueException",
            "Current operation does not support versions other than $LATEST. Please set the "
            "version to $LATEST or do not set a version in your request.")
    assert lambda_client.update_function_configuration(
        FunctionName=f"{fn_name}:$LATEST", Timeout=6)["Timeout"] == 6


def test_logging_config(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    updated = lambda_client.update_function_configuration(
        FunctionName=fn_name, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})
    assert updated["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": f"/aws/lambda/{fn_name}",
                                        "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"}
    grouped = lambda_client.update_function_configuration(
        FunctionName=fn_name, LoggingConfig={"LogGroup": "/custom/group"})
    assert grouped["LoggingConfig"]["LogGroup"] == "/custom/group"
    assert grouped["LoggingConfig"]["LogFormat"] == "JSON"
