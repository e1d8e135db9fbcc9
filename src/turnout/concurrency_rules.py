"""AWS's rules for reserved and provisioned concurrency: pure checks over plain numbers.

The control plane calls these before it stores a ``PutFunctionConcurrency`` or
``PutProvisionedConcurrencyConfig`` and builds ``GetAccountSettings`` from
them. Existence checks (``ResourceNotFoundException``) stay with the caller.

Rules (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html):

- at least 100 units of the account limit stay unreserved for functions
  without a reservation;
- provisioned concurrency counts against the function's reservation when it
  has one, else against the unreserved pool (so it too may not push the
  unreserved pool below 100);
- provisioned concurrency is for published versions and aliases, never
  ``$LATEST``; not on an alias with weights; not on both an alias and the
  version it points to.

Messages are AWS's, as returned by the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from turnout.errors import InvalidParameterValue, ResourceConflict

MINIMUM_UNRESERVED = 100
# AccountLimit figures AWS reports besides concurrency (bytes).
TOTAL_CODE_SIZE = 80_530_636_800
CODE_SIZE_UNZIPPED = 262_144_000
CODE_SIZE_ZIPPED = 52_428_800

LATEST = "$LATEST"


@dataclass(frozen=True, slots=True)
class AccountConcurrency:
    """The account's concurrency configuration, as the control plane stores it.

    ``provisioned`` maps function name → qualifier (alias or version) →
    requested provisioned concurrency.
    """

    limit: int
    reserved: Mapping[str, int] = field(default_factory=dict)
    provisioned: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def provisioned_total(self, function_name: str, excluding: str | None = None) -> int:
        configs = self.provisioned.get(function_name, {})
        return sum(n for qualifier, n in configs.items() if qualifier != excluding)


@dataclass(frozen=True, slots=True)
class AliasView:
    """An alias as the provisioned-concurrency rules see it."""

    function_version: str
    weights: Mapping[str, float] = field(default_factory=dict)


def unreserved_concurrency(account: AccountConcurrency,
                           excluding_function: str | None = None) -> int:
    """``UnreservedConcurrentExecutions``: the limit minus reservations minus the
    provisioned concurrency of functions without a reservation.

    ``excluding_function`` leaves that function's share out, to judge a new
    reservation for it (its provisioned concurrency then lives inside it).
    """
    claimed = sum(n for name, n in account.reserved.items() if name != excluding_function)
    for name, configs in account.provisioned.items():
        if name not in account.reserved and name != excluding_function:
            claimed += sum(configs.values())
    return account.limit - claimed


def check_put_function_concurrency(account: AccountConcurrency, function_name: str,
                                   reserved: int) -> None:
    """Raise as AWS's ``PutFunctionConcurrency`` does for ``reserved`` on ``function_name``."""
    others = unreserved_concurrency(account, excluding_function=function_name)
    if others - reserved < MINIMUM_UNRESERVED:
        raise InvalidParameterValue(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}].")
    provisioned = account.provisioned_total(function_name)
    if reserved < provisioned:
        raise InvalidParameterValue(
            f"ReservedConcurrentExecutions  {reserved} should not be lower than function's "
            f"total provisioned concurrency [{provisioned}].")


def check_put_provisioned_concurrency(account: AccountConcurrency, function_name: str,
                                      qualifier: str, requested: int,
                                      aliases: Mapping[str, AliasView]) -> None:
    """Raise as AWS's ``PutProvisionedConcurrencyConfig`` does.

    ``aliases`` are the function's aliases by name; a qualifier that is not
    one of them is a version (the caller has checked that it exists).
    """
    if qualifier == LATEST:
        raise InvalidParameterValue(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
            Type="User")
    configs = account.provisioned.get(function_name, {})
    alias = aliases.get(qualifier)
    if alias is not None:
        if alias.weights:
            raise InvalidParameterValue(
                "Alias with weights can not be used with Provisioned Concurrency", Type="User")
        if alias.function_version in configs:
            raise ResourceConflict(
                "Alias can't be used for Provisioned Concurrency configuration on an already "
                "Provisioned version", Type="User")
    elif any(a.function_version == qualifier and name in configs for name, a in aliases.items()):
        raise ResourceConflict("Version is pointed by a Provisioned Concurrency alias",
                               Type="User")
    reserved = account.reserved.get(function_name)
    if reserved is not None:
        if account.provisioned_total(function_name, excluding=qualifier) + requested > reserved:
            raise InvalidParameterValue(
                "Requested Provisioned Concurrency should not be greater than the "
                "reservedConcurrentExecution for function", Type="User")
        return
    others = unreserved_concurrency(account) + configs.get(qualifier, 0)
    if requested > others:
        raise InvalidParameterValue(
            "Specified ConcurrentExecutions for function is greater than account's unreserved "
            f"concurrency [{others}].")
    if others - requested < MINIMUM_UNRESERVED:
        raise InvalidParameterValue(
            "Specified ConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}].")


def account_limit(account: AccountConcurrency) -> dict[str, Any]:
    """``GetAccountSettings`` → ``AccountLimit``."""
    return {
        "TotalCodeSize": TOTAL_CODE_SIZE,
        "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
        "CodeSizeZipped": CODE_SIZE_ZIPPED,
        "ConcurrentExecutions": account.limit,
        "UnreservedConcurrentExecutions": unreserved_concurrency(account),
    }


def account_settings(account: AccountConcurrency, function_count: int,
                     total_code_size: int) -> dict[str, Any]:
    """The whole ``GetAccountSettings`` response."""
    return {
        "AccountLimit": account_limit(account),
        "AccountUsage": {"TotalCodeSize": total_code_size, "FunctionCount": function_count},
    }
