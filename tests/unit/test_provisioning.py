"""The provisioner: the pure decision per owner, the owner an invocation may use, and the
provisioner itself against a fake pool (ledger slots only for ready environments)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from turnout.errors import TooManyRequests
from turnout.invoke.admission import ConcurrencyLedger
from turnout.invoke.provisioning import (
    FAILED,
    IN_PROGRESS,
    READY,
    Held,
    Kind,
    Provisioner,
    Step,
    Target,
    decide,
    held_view,
    provisioned_owner,
    targets,
)
from turnout.models import (
    LATEST,
    AliasRecord,
    ConcurrencyChanged,
    FunctionEntry,
    FunctionRecord,
    ProvisionedConfig,
    VersionRecord,
    frozen_map,
)
from turnout.pool.spec import EnvironmentSpec, ProvisionReport
from turnout.store.registry import Registry

T1 = Target("1", 3, "t1")


@pytest.mark.parametrize(("target", "held", "ready", "step"), [
    (None, None, 0, Step(Kind.KEEP, 0)),
    (None, Held(T1, READY, 3), 3, Step(Kind.RELEASE, 0)),
    (T1, None, 0, Step(Kind.PROVISION, 0)),
    (T1, Held(T1, READY, 3), 3, Step(Kind.KEEP, 3)),
    (T1, Held(T1, IN_PROGRESS, 1), 1, Step(Kind.KEEP, 1)),
    (T1, Held(T1, FAILED, 2, "Init error"), 2, Step(Kind.KEEP, 2)),
    # more environments: the ready ones stay usable meanwhile
    (Target("1", 5, "t2"), Held(T1, READY, 3), 3, Step(Kind.PROVISION, 3)),
    # fewer: withdraw the surplus slots at once
    (Target("1", 2, "t2"), Held(T1, READY, 3), 3, Step(Kind.PROVISION, 2)),
    # the same count put again (a retry after FAILED)
    (Target("1", 3, "t2"), Held(T1, FAILED, 0, "x"), 0, Step(Kind.PROVISION, 0)),
    # the alias now points at another version: nothing of it is ready yet...
    (Target("2", 3, "t1"), Held(T1, READY, 3), 0, Step(Kind.PROVISION, 0)),
    # ...unless it was prepared before the switch
    (Target("2", 3, "t1"), Held(T1, READY, 3), 3, Step(Kind.PROVISION, 3)),
    # a restart: environments of that version left from before count
    (T1, None, 2, Step(Kind.PROVISION, 2)),
])
def test_decide(target: Target | None, held: Held | None, ready: int, step: Step) -> None:
    assert decide(target, held, ready) == step


def version(number: str) -> VersionRecord:
    return VersionRecord(function_name="f", version=number, runtime="python3.12",
                         handler="app.handler", role="r", code_sha256="c", code_size=1,
                         revision_id=f"rev-{number}", last_modified="t")


def entry(aliases: dict[str, str], provisioned: dict[str, int], reserved: int | None = None,
          weights: dict[str, float] | None = None) -> FunctionEntry:
    return FunctionEntry(
        function=FunctionRecord(name="f", created="t", last_version=3,
                                reserved_concurrency=reserved),
        versions=frozen_map({v: version(v) for v in (LATEST, "1", "2", "3")}),
        aliases=frozen_map({name: AliasRecord("f", name, v, "r", weights=frozen_map(
            weights if name == "canary" else None)) for name, v in aliases.items()}),
        provisioned=frozen_map({q: ProvisionedConfig("f", q, n, f"stamp-{n}")
                                for q, n in provisioned.items()}))


@pytest.mark.parametrize(("qualifier", "executed", "provisioned", "owner"), [
    ("live", "1", {"live": 2}, "f:live"),
    ("live", "1", {}, None),
    ("live", "1", {"1": 2}, "f:1"),  # a version's environments serve aliases pointing at it
    ("1", "1", {"1": 2}, "f:1"),
    ("1", "1", {"live": 2}, None),  # an alias's environments serve only the alias
    (None, LATEST, {"live": 2}, None),
    ("canary", "2", {"2": 1}, "f:2"),  # the weighted version runs on its own config
    ("canary", "1", {"2": 1}, None),
])
def test_provisioned_owner(qualifier: str | None, executed: str, provisioned: dict[str, int],
                           owner: str | None) -> None:
    found = entry({"live": "1", "canary": "1"}, provisioned, weights={"2": 0.5})
    assert provisioned_owner(found, qualifier, executed) == owner


def test_targets_follow_the_alias() -> None:
    assert targets(entry({"live": "2"}, {"live": 4, "3": 1})) == {
        "f:live": Target("2", 4, "stamp-4"), "f:3": Target("3", 1, "stamp-1")}


def test_held_view_before_any_status() -> None:
    assert held_view(None, 5) == {
        "RequestedProvisionedConcurrentExecutions": 5, "Status": IN_PROGRESS,
        "AvailableProvisionedConcurrentExecutions": 0,
        "AllocatedProvisionedConcurrentExecutions": 0}
    failed = held_view(Held(T1, FAILED, 0, "Runtime.ExitError: boom"), 3)
    assert failed["StatusReason"] == "Runtime.ExitError: boom"


# The provisioner against a fake pool --------------------------------------------------------


class FakePool:
    """``set_provisioned`` waits until the test opens the gate, then reports."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.gate = asyncio.Event()
        self.failing: dict[str, str] = {}  # version → Init error

    async def set_provisioned(self, owner: str, spec: EnvironmentSpec, count: int,
                              ) -> ProvisionReport:
        self.calls.append((owner, spec.version, count))
        await self.gate.wait()
        reason = self.failing.get(spec.version)
        if reason is not None and count:
            return ProvisionReport("FAILED", count, 0, reason)
        return ProvisionReport("READY", count, count)


def spec_for(record: VersionRecord) -> EnvironmentSpec:
    return EnvironmentSpec(function_name=record.function_name, version=record.version,
                           function_arn="arn", code_dir=Path("."), code_sha256="c",
                           revision_id=record.revision_id, handler="app.handler",
                           runtime="python3.12")


class World:
    def __init__(self, first: FunctionEntry) -> None:
        self.registry = Registry({"f": first})
        self.ledger = ConcurrencyLedger(1000)
        self.pool = FakePool()
        self.provisioner = Provisioner(self.registry, self.ledger, self.pool, spec_for)

    def change(self, new: FunctionEntry | None) -> None:
        self.registry.replace("f", new)
        self.provisioner.on_change(ConcurrencyChanged("f"))

    def slots(self, owner: str) -> int:
        usage = self.ledger.snapshot().functions.get("f")
        found = None if usage is None else usage.provisioned.get(owner)
        return 0 if found is None else found.slots

    async def pool_called(self) -> None:
        for _ in range(100):
            await asyncio.sleep(0)
            if self.pool.calls:
                return
        raise AssertionError("the pool was not asked")

    async def settle(self) -> None:
        self.pool.gate.set()
        for _ in range(100):
            await asyncio.sleep(0)
            if self.provisioner.settled:
                return
        raise AssertionError("provisioner did not settle")


def scenario(body: Coroutine[Any, Any, None], world: World) -> None:
    async def main() -> None:
        task = asyncio.create_task(world.provisioner.run())
        try:
            await body
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())


def test_slots_appear_only_when_environments_are_ready() -> None:
    world = World(entry({"live": "1"}, {}))

    async def body() -> None:
        world.provisioner.load()
        world.change(entry({"live": "1"}, {"live": 3}))
        await asyncio.sleep(0)
        assert world.provisioner.status("f", "live") == Held(Target("1", 3, "stamp-3"),
                                                             IN_PROGRESS, 0)
        assert world.slots("f:live") == 0
        await world.settle()
        assert world.pool.calls == [("f:live@1", "1", 3)]
        assert world.slots("f:live") == 3
        held = world.provisioner.status("f", "live")
        assert held is not None and (held.status, held.allocated) == (READY, 3)

    scenario(body(), world)


def test_reserved_concurrency_reaches_the_ledger_at_once() -> None:
    world = World(entry({}, {}, reserved=1))
    world.provisioner.load()
    with world.ledger.acquire_nowait("f"), pytest.raises(TooManyRequests):
        world.ledger.acquire_nowait("f")
    world.change(entry({}, {}, reserved=0))
    with pytest.raises(TooManyRequests):
        world.ledger.acquire_nowait("f")
    world.change(entry({}, {}))
    world.ledger.acquire_nowait("f").release()


def test_repointing_the_alias_withdraws_slots_until_the_new_version_is_ready() -> None:
    world = World(entry({"live": "1"}, {"live": 2}))

    async def body() -> None:
        world.provisioner.load()
        await world.settle()
        world.pool.gate.clear()
        world.change(entry({"live": "2"}, {"live": 2}))
        assert world.slots("f:live") == 0  # the version-1 environments no longer serve it
        await world.settle()
        assert world.pool.calls[-2:] == [("f:live@2", "2", 2), ("f:live@1", "1", 0)]
        assert world.slots("f:live") == 2

    scenario(body(), world)


def test_changes_during_provisioning_are_applied_after_it() -> None:
    world = World(entry({"live": "1"}, {}))

    async def body() -> None:
        world.change(entry({"live": "1"}, {"live": 2}))
        await world.pool_called()
        world.change(entry({"live": "1"}, {"live": 5}))
        await world.settle()
        assert world.pool.calls == [("f:live@1", "1", 2), ("f:live@1", "1", 5)]
        assert world.slots("f:live") == 5

    scenario(body(), world)


def test_failed_init_reports_failed_with_the_reason() -> None:
    world = World(entry({}, {}))
    world.pool.failing["3"] = "Runtime.ExitError: boom"

    async def body() -> None:
        world.change(entry({}, {"3": 2}))
        await world.settle()
        held = world.provisioner.status("f", "3")
        assert held is not None
        assert (held.status, held.allocated, held.reason) == (FAILED, 0,
                                                              "Runtime.ExitError: boom")
        assert world.slots("f:3") == 0

    scenario(body(), world)


def test_release_on_delete_and_on_function_deletion() -> None:
    world = World(entry({"live": "1"}, {"live": 2, "3": 1}))

    async def body() -> None:
        world.provisioner.load()
        await world.settle()
        world.change(entry({"live": "1"}, {"3": 1}))
        assert world.slots("f:live") == 0
        assert world.provisioner.status("f", "live") is None
        await world.settle()
        assert ("f:live@1", "1", 0) in world.pool.calls
        world.change(None)
        await world.settle()
        assert world.pool.calls[-1] == ("f:3@3", "3", 0)
        assert world.ledger.snapshot().functions == {}

    scenario(body(), world)


def test_a_pool_failure_is_reported_not_raised() -> None:
    world = World(entry({}, {}))

    async def broken(owner: str, spec: EnvironmentSpec, count: int) -> ProvisionReport:
        raise RuntimeError("no fork")

    world.pool.set_provisioned = broken  # type: ignore[method-assign]

    async def body() -> None:
        world.change(entry({}, {"2": 1}))
        await world.settle()
        held = world.provisioner.status("f", "2")
        assert held is not None and held.status == FAILED
        assert held.reason == "RuntimeError: no fork"

    scenario(body(), world)


def test_provisioned_slots_count_against_the_reservation() -> None:
    world = World(entry({}, {"2": 2}, reserved=3))

    async def body() -> None:
        world.provisioner.load()
        await world.settle()
        first = world.ledger.acquire_nowait("f")  # the one on-demand unit left
        with pytest.raises(TooManyRequests):
            world.ledger.acquire_nowait("f")
        leases = [world.ledger.acquire_nowait("f", "f:2") for _ in range(2)]
        assert all(lease.provisioned for lease in leases)
        for lease in (first, *leases):
            lease.release()

    scenario(body(), world)



def test_prepare_starts_the_new_version_before_the_alias_switches() -> None:
    world = World(entry({"live": "1"}, {"live": 2}))

    async def body() -> None:
        world.provisioner.load()
        await world.settle()
        current = entry({"live": "1"}, {"live": 2}).aliases["live"]
        proposed = dataclasses.replace(current, function_version="2")
        await world.provisioner.prepare(current, proposed)
        assert world.pool.calls[-1] == ("f:live@2", "2", 2)
        assert world.slots("f:live") == 2  # version 1 still serves the alias
        world.pool.gate.clear()
        world.change(entry({"live": "2"}, {"live": 2}))
        assert world.slots("f:live") == 2  # the prepared environments take over at once
        await world.settle()
        assert world.pool.calls[-1] == ("f:live@1", "1", 0)  # then the old ones retire
        held = world.provisioner.status("f", "live")
        assert held is not None and (held.target.version, held.status) == ("2", READY)

    scenario(body(), world)


def test_prepare_ignores_aliases_without_provisioned_concurrency() -> None:
    world = World(entry({"live": "1"}, {}))
    current = entry({"live": "1"}, {}).aliases["live"]
    asyncio.run(world.provisioner.prepare(current, dataclasses.replace(current,
                                                                       function_version="2")))
    assert world.pool.calls == []
