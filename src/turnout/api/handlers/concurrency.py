"""Reserved concurrency (Put/Get/DeleteFunctionConcurrency) and provisioned concurrency
(Put/Get/Delete/ListProvisionedConcurrencyConfig(s)).

https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html,
https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html
and neighbours. Rules live in ``turnout.control.concurrency``; the status of a
provisioned config (IN_PROGRESS, READY, FAILED) comes from the platform's provisioner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from turnout.api.handlers import shapes
from turnout.api.handlers.shapes import Params
from turnout.api.registry import handles
from turnout.control import concurrency
from turnout.control.paging import page, version_key
from turnout.invoke.provisioning import held_view
from turnout.models import ProvisionedConfig

if TYPE_CHECKING:
    from turnout.platform import Platform


@handles("PutFunctionConcurrency")
async def put_function_concurrency(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    reserved = await concurrency.put_function_concurrency(
        platform.control, name, int(params["ReservedConcurrentExecutions"]))
    return {"ReservedConcurrentExecutions": reserved}


@handles("GetFunctionConcurrency")
async def get_function_concurrency(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    reserved = platform.control.entry(name).function.reserved_concurrency
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


@handles("DeleteFunctionConcurrency")
async def delete_function_concurrency(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    await concurrency.delete_function_concurrency(platform.control, name)
    return {}


def _qualified(platform: Platform, params: Params) -> tuple[str, str]:
    """Name and qualifier; the model requires ``Qualifier``, so there always is one."""
    name, qualifier = shapes.target(platform, params)
    return name, qualifier or params["Qualifier"]


def _config(platform: Platform, config: ProvisionedConfig) -> Params:
    held = platform.provisioner.status(config.function_name, config.qualifier)
    return {**held_view(held, config.requested), "LastModified": config.last_modified}


@handles("PutProvisionedConcurrencyConfig")
async def put_provisioned_concurrency_config(platform: Platform, params: Params) -> Params:
    name, qualifier = _qualified(platform, params)
    config = await concurrency.put_provisioned(
        platform.control, name, qualifier, int(params["ProvisionedConcurrentExecutions"]))
    return _config(platform, config)


@handles("GetProvisionedConcurrencyConfig")
async def get_provisioned_concurrency_config(platform: Platform, params: Params) -> Params:
    name, qualifier = _qualified(platform, params)
    return _config(platform, concurrency.get_provisioned(platform.control, name, qualifier))


@handles("DeleteProvisionedConcurrencyConfig")
async def delete_provisioned_concurrency_config(platform: Platform, params: Params) -> Params:
    name, qualifier = _qualified(platform, params)
    await concurrency.delete_provisioned(platform.control, name, qualifier)
    return {}


def _list_key(config: ProvisionedConfig) -> str:
    """Versions by number, then aliases by name (the order of ``list_provisioned``)."""
    qualifier = config.qualifier
    return "0" + version_key(qualifier) if qualifier.isdigit() else "1" + qualifier


@handles("ListProvisionedConcurrencyConfigs")
async def list_provisioned_concurrency_configs(platform: Platform, params: Params) -> Params:
    name = shapes.unqualified_target(platform, params)
    configs = sorted(concurrency.list_provisioned(platform.control, name), key=_list_key)
    chosen, next_marker = page(configs, _list_key, params.get("Marker"), params.get("MaxItems"))
    body: Params = {"ProvisionedConcurrencyConfigs": [
        {"FunctionArn": platform.control.arn(name, config.qualifier), **_config(platform, config)}
        for config in chosen]}
    if next_marker:
        body["NextMarker"] = next_marker
    return body
