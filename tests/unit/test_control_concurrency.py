"""Reserved and provisioned concurrency configs through the control plane: rules, durability,
and what deleting an alias, a version or the function does to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_control import Harness, error_of
from turnout.control import concurrency
from turnout.errors import (
    InvalidParameterValue,
    ProvisionedConcurrencyConfigNotFound,
    ResourceConflict,
    ResourceNotFound,
)
from turnout.models import AliasRecord, ConcurrencyChanged


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path / "data")
    h.create(publish=True)  # version 1
    h.configure(timeout=9)
    h.publish()  # version 2
    h.run(h.control.create_alias("f", "live", "1"))
    h.changes.clear()
    yield h
    h.close()


def put_reserved(h: Harness, reserved: int) -> int:
    return int(h.run(concurrency.put_function_concurrency(h.control, "f", reserved)))


def put_provisioned(h: Harness, qualifier: str, count: int) -> object:
    return h.run(concurrency.put_provisioned(h.control, "f", qualifier, count))


def test_reserved_concurrency_is_durable_and_announced(harness: Harness) -> None:
    assert put_reserved(harness, 7) == 7
    assert harness.changes == [ConcurrencyChanged("f")]
    assert harness.reopen().entry("f").function.reserved_concurrency == 7
    harness.run(concurrency.delete_function_concurrency(harness.control, "f"))
    assert harness.reopen().entry("f").function.reserved_concurrency is None


def test_reserved_concurrency_keeps_a_hundred_unreserved(harness: Harness) -> None:
    error = error_of(harness, lambda: concurrency.put_function_concurrency(
        harness.control, "f", 901))
    assert isinstance(error, InvalidParameterValue)
    assert "below its minimum value of [100]" in error.message
    assert put_reserved(harness, 900) == 900


def test_provisioned_config_is_durable_with_its_timestamp(harness: Harness) -> None:
    put_provisioned(harness, "live", 3)
    assert harness.changes == [ConcurrencyChanged("f")]
    config = harness.reopen().entry("f").provisioned["live"]
    assert (config.qualifier, config.requested) == ("live", 3)
    assert config.last_modified == "2024-05-01T12:00:00+0000"
    assert concurrency.get_provisioned(harness.control, "f", "live") == config


@pytest.mark.parametrize(("qualifier", "error_type", "text"), [
    ("$LATEST", InvalidParameterValue, "cannot be applied to unpublished function versions"),
    ("9", ResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:000000000000:"
                            "function:f:9"),
    ("nope", ResourceNotFound, "function:f:nope"),
])
def test_provisioned_config_needs_a_published_qualifier(harness: Harness, qualifier: str,
                                                        error_type: type, text: str) -> None:
    error = error_of(harness, lambda: concurrency.put_provisioned(harness.control, "f",
                                                                  qualifier, 1))
    assert isinstance(error, error_type)
    assert text in str(error)


def test_not_on_both_an_alias_and_its_version(harness: Harness) -> None:
    put_provisioned(harness, "live", 2)
    error = error_of(harness, lambda: concurrency.put_provisioned(harness.control, "f", "1", 1))
    assert isinstance(error, ResourceConflict)
    assert error.message == "Version is pointed by a Provisioned Concurrency alias"
    put_provisioned(harness, "2", 1)
    moved = error_of(harness, lambda: harness.control.update_alias("f", "live",
                                                                   function_version="2"))
    assert isinstance(moved, ResourceConflict)
    assert "already Provisioned version" in moved.message


def test_an_alias_with_provisioned_concurrency_may_not_gain_weights(harness: Harness) -> None:
    put_provisioned(harness, "live", 2)
    error = error_of(harness, lambda: harness.control.update_alias("f", "live",
                                                                   weights={"2": 0.5}))
    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Alias with weights can not be used with Provisioned Concurrency"
    assert harness.control.alias("f", "live").weights == {}


def test_provisioned_counts_against_the_reservation(harness: Harness) -> None:
    put_reserved(harness, 5)
    put_provisioned(harness, "live", 3)
    error = error_of(harness, lambda: concurrency.put_provisioned(harness.control, "f", "2", 3))
    assert isinstance(error, InvalidParameterValue)
    lowered = error_of(harness, lambda: concurrency.put_function_concurrency(
        harness.control, "f", 2))
    assert "should not be lower than function's total provisioned concurrency [3]" in str(
        lowered)


def test_missing_config_is_reported_as_aws_does(harness: Harness) -> None:
    with pytest.raises(ProvisionedConcurrencyConfigNotFound):
        concurrency.get_provisioned(harness.control, "f", "live")
    with pytest.raises(ResourceNotFound):
        concurrency.get_provisioned(harness.control, "f", "ghost")
    assert isinstance(error_of(harness, lambda: concurrency.delete_provisioned(
        harness.control, "f", "live")), ResourceNotFound)


def test_deleting_the_alias_or_version_deletes_its_config(harness: Harness) -> None:
    put_provisioned(harness, "live", 1)
    put_provisioned(harness, "2", 1)
    harness.run(harness.control.delete_alias("f", "live"))
    harness.run(harness.control.delete_function("f", "2"))
    assert ConcurrencyChanged("f") in harness.changes
    assert harness.reopen().entry("f").provisioned == {}


def test_deleting_the_function_deletes_its_configs(harness: Harness) -> None:
    put_reserved(harness, 4)
    put_provisioned(harness, "live", 1)
    harness.run(harness.control.delete_function("f"))
    harness.create(publish=True)
    harness.run(harness.control.create_alias("f", "live", "1"))
    entry = harness.reopen().entry("f")
    assert (entry.function.reserved_concurrency, dict(entry.provisioned)) == (None, {})


def test_account_view_counts_reservations_and_unreserved_provisioning(harness: Harness) -> None:
    put_provisioned(harness, "live", 4)
    view = concurrency.account_view(harness.control)
    assert view.provisioned == {"f": {"live": 4}}
    assert view.reserved == {}


def test_update_alias_awaits_the_preparers_before_switching(harness: Harness) -> None:
    seen: list[tuple[str, str, str]] = []

    async def prepare(current: AliasRecord, proposed: AliasRecord) -> None:
        seen.append((current.name, current.function_version, proposed.function_version))
        assert harness.control.alias("f", "live").function_version == "1"  # not switched yet

    harness.control.before_alias_switch(prepare)
    harness.run(harness.control.update_alias("f", "live", description="same version"))
    assert seen == []
    harness.run(harness.control.update_alias("f", "live", function_version="2"))
    assert seen == [("live", "1", "2")]
    assert harness.control.alias("f", "live").function_version == "2"


def test_an_alias_changed_while_preparing_is_a_conflict(harness: Harness) -> None:
    async def prepare(current: AliasRecord, proposed: AliasRecord) -> None:
        if proposed.function_version == "2":
            await harness.control.update_alias("f", "live", description="meanwhile")

    harness.control.before_alias_switch(prepare)
    error = error_of(harness, lambda: harness.control.update_alias("f", "live",
                                                                   function_version="2"))
    assert isinstance(error, ResourceConflict)
    assert error.message.startswith("The operation cannot be performed at this time.")
    assert harness.control.alias("f", "live").function_version == "1"
