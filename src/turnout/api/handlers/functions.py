"""CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, updates, DeleteFunction.

https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html and neighbours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from turnout.api.handlers import code, shapes
from turnout.api.handlers.shapes import Params
from turnout.api.registry import handles
from turnout.control.paging import page, version_key
from turnout.errors import InvalidParameterValue
from turnout.models import VersionRecord, sha256_hex

if TYPE_CHECKING:
    from turnout.platform import Platform


def _zip_file(params: Params) -> bytes:
    code = params.get("Code", params)
    zip_file = code.get("ZipFile")
    if zip_file is None:
        if code.get("S3Bucket") or code.get("ImageUri"):
            raise InvalidParameterValue(
                "Turnout accepts function code as a ZipFile upload only; S3 and container "
                "image code are not supported.")
        raise InvalidParameterValue("Please provide a source for function code.")
    return bytes(zip_file)


def _published_qualifier(record: VersionRecord) -> str | None:
    """A published version is shown with its qualified ARN, ``$LATEST`` unqualified."""
    return None if record.is_latest else record.version


@handles("CreateFunction")
async def create_function(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    if qualifier is not None:
        raise InvalidParameterValue(
            f"A new function cannot be created with a qualifier: {params['FunctionName']}")
    if params.get("PackageType", "Zip") != "Zip":
        raise InvalidParameterValue("Turnout supports the Zip package type only.")
    record = await platform.control.create_function(
        name, _zip_file(params), shapes.config_update(params),
        architectures=shapes.architectures(params) or ("x86_64",),
        publish=bool(params.get("Publish")), tags=params.get("Tags"))
    return shapes.configuration(platform, record, None)


@handles("GetFunctionConfiguration")
async def get_function_configuration(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    record, _ = platform.control.resolve(name, qualifier)
    return shapes.configuration(platform, record, qualifier)


@handles("GetFunction")
async def get_function(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    record, _ = platform.control.resolve(name, qualifier)
    function = platform.control.entry(name).function
    body: Params = {
        "Configuration": shapes.configuration(platform, record, qualifier),
        "Code": {
            "RepositoryType": "S3",
            "Location": code.location(platform.settings.endpoint,
                                      sha256_hex(record.code_sha256)),
        },
    }
    if function.tags:
        body["Tags"] = dict(function.tags)
    if function.reserved_concurrency is not None:
        body["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
    return body


@handles("ListFunctions")
async def list_functions(platform: Platform, params: Params) -> Params:
    every_version = params.get("FunctionVersion") == "ALL"
    items: list[VersionRecord] = []
    for entry in platform.control.registry.entries():
        items.append(entry.latest)
        if every_version:
            items.extend(entry.published())
    chosen, next_marker = page(
        items, lambda record: f"{record.function_name}\x00{version_key(record.version)}",
        params.get("Marker"), params.get("MaxItems"))
    body: Params = {"Functions": [
        shapes.configuration(platform, record, record.version if every_version else None)
        for record in chosen]}
    if next_marker:
        body["NextMarker"] = next_marker
    return body


@handles("UpdateFunctionCode")
async def update_function_code(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    record = await platform.control.update_code(
        name, _zip_file(params), architectures=shapes.architectures(params),
        publish=bool(params.get("Publish")), revision_id=params.get("RevisionId"),
        dry_run=bool(params.get("DryRun")))
    return shapes.configuration(platform, record, _published_qualifier(record))


@handles("UpdateFunctionConfiguration")
async def update_function_configuration(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    record = await platform.control.update_configuration(
        name, shapes.config_update(params), revision_id=params.get("RevisionId"))
    return shapes.configuration(platform, record, None)


@handles("DeleteFunction")
async def delete_function(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    await platform.control.delete_function(name, qualifier)
    return {}
