"""TagResource, UntagResource, ListTags on function ARNs.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html: tags belong to
the function; versions and aliases cannot be tagged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from turnout.api.registry import handles
from turnout.arns import function_arn
from turnout.errors import InvalidParameterValue, ResourceNotFound

if TYPE_CHECKING:
    from turnout.api.handlers.shapes import Params
    from turnout.platform import Platform

_FUNCTION_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:"
    r"(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>.+))?$")


def _function(platform: Platform, resource: str) -> str:
    match = _FUNCTION_ARN.match(resource)
    if match is None:
        raise ResourceNotFound(f"Resource not found: {resource}")
    if match["qualifier"] is not None:
        raise InvalidParameterValue("Tags on function aliases and versions are not supported. "
                                    "Please specify a function ARN.")
    settings = platform.settings
    name = match["name"]
    if (match["region"], match["account"]) != (settings.region, settings.account_id):
        raise ResourceNotFound(
            f"Function not found: {function_arn(match['region'], match['account'], name)}")
    platform.control.entry(name)
    return name


@handles("TagResource")
async def tag_resource(platform: Platform, params: Params) -> Params:
    await platform.control.tag(_function(platform, params["Resource"]), params["Tags"])
    return {}


@handles("UntagResource")
async def untag_resource(platform: Platform, params: Params) -> Params:
    await platform.control.untag(_function(platform, params["Resource"]), params["TagKeys"])
    return {}


@handles("ListTags")
async def list_tags(platform: Platform, params: Params) -> Params:
    name = _function(platform, params["Resource"])
    return {"Tags": dict(platform.control.entry(name).function.tags)}
