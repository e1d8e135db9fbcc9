"""AWS's validation of reserved and provisioned concurrency, and GetAccountSettings figures."""

from __future__ import annotations

import pytest

from turnout.concurrency_rules import (
    AccountConcurrency,
    AliasView,
    account_settings,
    check_put_function_concurrency,
    check_put_provisioned_concurrency,
    unreserved_concurrency,
)
from turnout.errors import InvalidParameterValue, LambdaError, ResourceConflict

BELOW_MINIMUM = ("Specified ReservedConcurrentExecutions for function decreases account's "
                 "UnreservedConcurrentExecution below its minimum value of [100].")
PC_BELOW_MINIMUM = ("Specified ConcurrentExecutions for function decreases account's "
                    "UnreservedConcurrentExecution below its minimum value of [100].")


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (AccountConcurrency(1000), 1000),
        (AccountConcurrency(1000, {"a": 100, "b": 50}), 850),
        # provisioned concurrency of an unreserved function leaves the pool
        (AccountConcurrency(1000, {}, {"a": {"live": 10, "3": 5}}), 985),
        # ...but lives inside the reservation of a reserved one
        (AccountConcurrency(1000, {"a": 100}, {"a": {"live": 10}}), 900),
    ],
)
def test_unreserved_concurrency(account: AccountConcurrency, expected: int) -> None:
    assert unreserved_concurrency(account) == expected


@pytest.mark.parametrize(
    ("account", "function_name", "reserved", "error"),
    [
        (AccountConcurrency(1000), "f", 0, None),
        (AccountConcurrency(1000), "f", 900, None),
        (AccountConcurrency(1000), "f", 901, (InvalidParameterValue, BELOW_MINIMUM)),
        (AccountConcurrency(1000, {"g": 800}), "f", 100, None),
        (AccountConcurrency(1000, {"g": 800}), "f", 101, (InvalidParameterValue, BELOW_MINIMUM)),
        # replacing the function's own reservation does not count it twice
        (AccountConcurrency(1000, {"f": 900}), "f", 900, None),
        # another function's provisioned concurrency already claims part of the pool
        (AccountConcurrency(1000, {}, {"g": {"live": 50}}), "f", 851,
         (InvalidParameterValue, BELOW_MINIMUM)),
        # the function's own provisioned concurrency moves inside the reservation
        (AccountConcurrency(1000, {}, {"f": {"live": 50}}), "f", 900, None),
        (AccountConcurrency(1000, {}, {"f": {"live": 50, "3": 10}}), "f", 59,
         (InvalidParameterValue, "ReservedConcurrentExecutions  59 should not be lower than "
                                 "function's total provisioned concurrency [60].")),
        # an account below the minimum cannot reserve anything
        (AccountConcurrency(50), "f", 1, (InvalidParameterValue, BELOW_MINIMUM)),
    ],
)
def test_put_function_concurrency(account: AccountConcurrency, function_name: str, reserved: int,
                                  error: tuple[type[LambdaError], str] | None) -> None:
    if error is None:
        check_put_function_concurrency(account, function_name, reserved)
        return
    with pytest.raises(error[0]) as caught:
        check_put_function_concurrency(account, function_name, reserved)
    assert caught.value.message == error[1]


ALIASES = {
    "live": AliasView("3"),
    "canary": AliasView("3", {"4": 0.1}),
    "old": AliasView("2"),
}


@pytest.mark.parametrize(
    ("account", "qualifier", "requested", "error"),
    [
        (AccountConcurrency(1000), "3", 10, None),
        (AccountConcurrency(1000), "live", 10, None),
        (AccountConcurrency(1000), "$LATEST", 1,
         (InvalidParameterValue,
          "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")),
        (AccountConcurrency(1000), "canary", 1,
         (InvalidParameterValue,
          "Alias with weights can not be used with Provisioned Concurrency")),
        (AccountConcurrency(1000, {}, {"f": {"3": 5}}), "live", 1,
         (ResourceConflict, "Alias can't be used for Provisioned Concurrency configuration on "
                            "an already Provisioned version")),
        (AccountConcurrency(1000, {}, {"f": {"live": 5}}), "3", 1,
         (ResourceConflict, "Version is pointed by a Provisioned Concurrency alias")),
        # another alias's version is fine
        (AccountConcurrency(1000, {}, {"f": {"live": 5}}), "2", 1, None),
        # updating the same alias's config is fine
        (AccountConcurrency(1000, {}, {"f": {"live": 5}}), "live", 50, None),
        # within the reservation, counting the function's other configs
        (AccountConcurrency(1000, {"f": 10}, {"f": {"2": 4}}), "live", 6, None),
        (AccountConcurrency(1000, {"f": 10}, {"f": {"2": 4}}), "live", 7,
         (InvalidParameterValue, "Requested Provisioned Concurrency should not be greater than "
                                 "the reservedConcurrentExecution for function")),
        (AccountConcurrency(1000, {"f": 10}, {"f": {"live": 9}}), "live", 10, None),
        # without a reservation: leave 100 unreserved
        (AccountConcurrency(1000), "live", 900, None),
        (AccountConcurrency(1000), "live", 901, (InvalidParameterValue, PC_BELOW_MINIMUM)),
        (AccountConcurrency(1000, {}, {"f": {"live": 900}}), "live", 900, None),
        (AccountConcurrency(1000, {"g": 500}), "live", 401,
         (InvalidParameterValue, PC_BELOW_MINIMUM)),
        (AccountConcurrency(1000, {"g": 500}), "live", 501,
         (InvalidParameterValue, "Specified ConcurrentExecutions for function is greater than "
                                 "account's unreserved concurrency [500].")),
    ],
)
def test_put_provisioned_concurrency(account: AccountConcurrency, qualifier: str, requested: int,
                                     error: tuple[type[LambdaError], str] | None) -> None:
    if error is None:
        check_put_provisioned_concurrency(account, "f", qualifier, requested, ALIASES)
        return
    with pytest.raises(error[0]) as caught:
        check_put_provisioned_concurrency(account, "f", qualifier, requested, ALIASES)
    assert caught.value.message == error[1]


def test_account_settings() -> None:
    account = AccountConcurrency(1000, {"a": 200}, {"b": {"live": 30}})
    assert account_settings(account, function_count=3, total_code_size=4096) == {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": 1000,
            "UnreservedConcurrentExecutions": 770,
        },
        "AccountUsage": {"TotalCodeSize": 4096, "FunctionCount": 3},
    }
