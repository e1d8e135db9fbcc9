"""PublishVersion and ListVersionsByFunction.

https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from turnout.api.handlers import shapes
from turnout.api.handlers.shapes import Params
from turnout.api.registry import handles
from turnout.control.paging import page, version_key

if TYPE_CHECKING:
    from turnout.platform import Platform


@handles("PublishVersion")
async def publish_version(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    record = await platform.control.publish_version(
        name, description=params.get("Description"), code_sha256=params.get("CodeSha256"),
        revision_id=params.get("RevisionId"))
    return shapes.configuration(platform, record, record.version)


@handles("ListVersionsByFunction")
async def list_versions_by_function(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    entry = platform.control.entry(name)
    chosen, next_marker = page([entry.latest, *entry.published()],
                               lambda record: version_key(record.version),
                               params.get("Marker"), params.get("MaxItems"))
    body: Params = {"Versions": [shapes.configuration(platform, record, record.version)
                                 for record in chosen]}
    if next_marker:
        body["NextMarker"] = next_marker
    return body
