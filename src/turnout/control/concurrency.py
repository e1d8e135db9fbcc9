"""Reserved and provisioned concurrency configuration: checks, edits and their commits.

AWS's figures and messages are in ``turnout.concurrency_rules``; this module
applies them to the control plane's state and writes through ``Control``'s one
write path, so a configuration is durable before the request is answered.
What the configs mean at run time (ledger slots, pre-initialised
environments) is the provisioner's business (``turnout.invoke.provisioning``),
told through ``ConcurrencyChanged``.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from turnout import concurrency_rules as rules
from turnout.errors import ProvisionedConcurrencyConfigNotFound, ResourceNotFound
from turnout.models import LATEST, AliasRecord, FunctionEntry, ProvisionedConfig, frozen_map

if TYPE_CHECKING:
    from turnout.control.plane import Control

UNCOUNTED = 1 << 40  # an account limit that no count reaches
NO_CONFIG = "No Provisioned Concurrency Config found for this function"


def config_timestamp(epoch_seconds: float) -> str:
    """``LastModified`` of a provisioned-concurrency config: seconds, no fraction."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def account_view(control: Control) -> rules.AccountConcurrency:
    """Every function's reservation and provisioned configs, as the rules see them."""
    reserved: dict[str, int] = {}
    provisioned: dict[str, dict[str, int]] = {}
    for entry in control.registry.entries():
        name = entry.function.name
        if entry.function.reserved_concurrency is not None:
            reserved[name] = entry.function.reserved_concurrency
        if entry.provisioned:
            provisioned[name] = {q: c.requested for q, c in entry.provisioned.items()}
    return rules.AccountConcurrency(control.settings.account_concurrency, reserved, provisioned)


def alias_views(entry: FunctionEntry) -> dict[str, rules.AliasView]:
    return {name: rules.AliasView(alias.function_version, alias.weights)
            for name, alias in entry.aliases.items()}


def check_alias_update(entry: FunctionEntry, record: AliasRecord) -> None:
    """An alias with provisioned concurrency keeps obeying the rules when it changes.

    It may not gain routing weights, nor point at a version that has a
    provisioned-concurrency config of its own (the counts are not at stake).
    """
    if record.name not in entry.provisioned:
        return
    name = entry.function.name
    others = {q: c.requested for q, c in entry.provisioned.items() if q != record.name}
    account = rules.AccountConcurrency(limit=UNCOUNTED, provisioned={name: others})
    view = rules.AliasView(record.function_version, record.weights)
    rules.check_put_provisioned_concurrency(account, name, record.name, 0, {record.name: view})


# Reserved concurrency ----------------------------------------------------------------


async def put_function_concurrency(control: Control, name: str, reserved: int) -> int:
    """PutFunctionConcurrency on the function ``name`` (a version or alias is refused earlier)."""
    entry = control.entry(name)
    rules.check_put_function_concurrency(account_view(control), name, reserved)
    function = dataclasses.replace(entry.function, reserved_concurrency=reserved)
    await control.replace_entry(name, entry, dataclasses.replace(entry, function=function))
    return reserved


async def delete_function_concurrency(control: Control, name: str) -> None:
    entry = control.entry(name)
    if entry.function.reserved_concurrency is None:
        return
    function = dataclasses.replace(entry.function, reserved_concurrency=None)
    await control.replace_entry(name, entry, dataclasses.replace(entry, function=function))


# Provisioned concurrency -------------------------------------------------------------


def _existing_qualifier(control: Control, entry: FunctionEntry, qualifier: str) -> None:
    name = entry.function.name
    if qualifier not in entry.aliases and qualifier not in entry.versions:
        raise ResourceNotFound(f"Function not found: {control.arn(name, qualifier)}")


async def put_provisioned(control: Control, name: str, qualifier: str, requested: int,
                          ) -> ProvisionedConfig:
    """PutProvisionedConcurrencyConfig: store (or replace) the config of ``qualifier``."""
    entry = control.entry(name, qualifier)
    if qualifier != LATEST:
        _existing_qualifier(control, entry, qualifier)
    rules.check_put_provisioned_concurrency(account_view(control), name, qualifier, requested,
                                            alias_views(entry))
    config = ProvisionedConfig(function_name=name, qualifier=qualifier, requested=requested,
                               last_modified=config_timestamp(control.clock.now()))
    configs = frozen_map({**entry.provisioned, qualifier: config})
    await control.replace_entry(name, entry, dataclasses.replace(entry, provisioned=configs))
    return config


def get_provisioned(control: Control, name: str, qualifier: str) -> ProvisionedConfig:
    entry = control.entry(name, qualifier)
    config = entry.provisioned.get(qualifier)
    if config is None:
        _existing_qualifier(control, entry, qualifier)
        raise ProvisionedConcurrencyConfigNotFound(NO_CONFIG, Type="User")
    return config


async def delete_provisioned(control: Control, name: str, qualifier: str) -> None:
    entry = control.entry(name, qualifier)
    if qualifier not in entry.provisioned:
        _existing_qualifier(control, entry, qualifier)
        raise ResourceNotFound(NO_CONFIG)
    configs = frozen_map({q: c for q, c in entry.provisioned.items() if q != qualifier})
    await control.replace_entry(name, entry, dataclasses.replace(entry, provisioned=configs))


def list_provisioned(control: Control, name: str) -> list[ProvisionedConfig]:
    return list(control.entry(name).provisioned.values())
