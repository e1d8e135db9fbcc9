"""TagResource, UntagResource and ListTags on function ARNs."""

from __future__ import annotations

from typing import Any

from tests.api.control_kit import ARN, create, refusal


def test_tag_untag_list(lambda_client: Any, fn_name: str) -> None:
    arn = create(lambda_client, fn_name, Tags={"team": "core"})["FunctionArn"]
    lambda_client.tag_resource(Resource=arn, Tags={"stage": "prod", "team": "edge"})
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"team": "edge", "stage": "prod"}
    lambda_client.untag_resource(Resource=arn, TagKeys=["team", "absent"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"stage": "prod"}
    assert lambda_client.get_function(FunctionName=fn_name)["Tags"] == {"stage": "prod"}


def test_qualified_arns_cannot_be_tagged(lambda_client: Any, fn_name: str) -> None:
    arn = create(lambda_client, fn_name, Publish=True)["FunctionArn"]
    for resource in (f"{arn}:1", f"{arn}:$LATEST"):
        assert refusal(lambda r=resource: lambda_client.tag_resource(Resource=r,
                                                                     Tags={"a": "b"})) == (
            400, "InvalidParameterValueException",
            "Tags on function aliases and versions are not supported. Please specify a "
            "function ARN.")
        assert refusal(lambda r=resource: lambda_client.list_tags(Resource=r))[0] == 400
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}


def test_tags_of_unknown_function(lambda_client: Any, fn_name: str) -> None:
    assert refusal(lambda: lambda_client.list_tags(Resource=f"{ARN}:{fn_name}")) == (
        404, "ResourceNotFoundException", f"Function not found: {ARN}:{fn_name}")
    other_account = f"arn:aws:lambda:us-east-1:111111111111:function:{fn_name}"
    assert refusal(lambda: lambda_client.tag_resource(Resource=other_account,
                                                      Tags={"a": "b"}))[0] == 404


def test_tag_limits(lambda_client: Any, fn_name: str) -> None:
    arn = create(lambda_client, fn_name)["FunctionArn"]
    too_many = {f"k{i}": "v" for i in range(51)}
    assert refusal(lambda: lambda_client.tag_resource(Resource=arn, Tags=too_many))[:2] == (
        400, "InvalidParameterValueException")
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}
