"""CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases.

https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html and neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from turnout.api.handlers import shapes
from turnout.api.handlers.shapes import Params
from turnout.api.registry import handles
from turnout.control.paging import page

if TYPE_CHECKING:
    from turnout.platform import Platform


def _weights(params: Params) -> Mapping[str, float] | None:
    routing = params.get("RoutingConfig")
    if routing is None:
        return None
    return {version: float(weight)
            for version, weight in (routing.get("AdditionalVersionWeights") or {}).items()}


@handles("CreateAlias")
async def create_alias(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    record = await platform.control.create_alias(
        name, params["Name"], params["FunctionVersion"],
        description=params.get("Description", ""), weights=_weights(params))
    return shapes.alias_configuration(platform, record)


@handles("GetAlias")
async def get_alias(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    return shapes.alias_configuration(platform, platform.control.alias(name, params["Name"]))


@handles("UpdateAlias")
async def update_alias(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    record = await platform.control.update_alias(
        name, params["Name"], function_version=params.get("FunctionVersion"),
        description=params.get("Description"), weights=_weights(params),
        revision_id=params.get("RevisionId"))
    return shapes.alias_configuration(platform, record)


@handles("DeleteAlias")
async def delete_alias(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    await platform.control.delete_alias(name, params["Name"])
    return {}


@handles("ListAliases")
async def list_aliases(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    entry = platform.control.entry(name)
    version = params.get("FunctionVersion")
    aliases = [alias for _, alias in sorted(entry.aliases.items())
               if version is None or alias.function_version == version]
    chosen, next_marker = page(aliases, lambda alias: alias.name, params.get("Marker"),
                               params.get("MaxItems"))
    body: Params = {"Aliases": [shapes.alias_configuration(platform, alias)
                                for alias in chosen]}
    if next_marker:
        body["NextMarker"] = next_marker
    return body
