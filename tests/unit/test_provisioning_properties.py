"""Property: whatever configs, alias moves and pool answers come, in whatever order, the ledger
never offers a provisioned slot without a ready environment of the version that slot serves,
and once the pool has answered everything the slots match the configs."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from turnout.invoke.admission import ConcurrencyLedger
from turnout.invoke.provisioning import Provisioner, owner_name, pool_owner, targets
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

VERSIONS = ("1", "2", "3")


def version(number: str) -> VersionRecord:
    return VersionRecord(function_name="f", version=number, runtime="python3.12",
                         handler="app.handler", role="r", code_sha256="c", code_size=1,
                         revision_id=f"rev-{number}", last_modified="t")


def spec_for(record: VersionRecord) -> EnvironmentSpec:
    return EnvironmentSpec(function_name="f", version=record.version, function_arn="arn",
                           code_dir=Path("."), code_sha256="c", revision_id=record.revision_id,
                           handler="app.handler", runtime="python3.12")


class ModelPool:
    """Like the real pool: a smaller or different target retires environments at once; new
    ones are ready only when the call returns (the test decides when, and whether Init fails);
    the latest call for a group wins."""

    def __init__(self) -> None:
        self.ready: dict[str, tuple[str, int]] = {}  # pool owner → (version, ready count)
        self.calls: list[tuple[str, str, int, asyncio.Future[bool]]] = []
        self.latest: dict[str, int] = {}  # pool owner → number of its latest call

    async def set_provisioned(self, owner: str, spec: EnvironmentSpec, count: int,
                              ) -> ProvisionReport:
        held_version, held = self.ready.get(owner, (spec.version, 0))
        kept = min(held, count) if held_version == spec.version else 0
        self.ready[owner] = (spec.version, kept)
        number = self.latest[owner] = len(self.calls)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.calls.append((owner, spec.version, count, answer))
        succeeded = await answer
        if self.latest[owner] == number and succeeded:
            self.ready[owner] = (spec.version, count)
        now_version, now = self.ready[owner]
        allocated = now if now_version == spec.version else 0
        if not succeeded:
            return ProvisionReport("FAILED", count, allocated, "Runtime.ExitError: boom")
        return ProvisionReport("READY" if allocated == count else "FAILED", count, allocated)

    def answer(self, succeed: bool) -> None:
        for _, _, _, future in self.calls:
            if not future.done():
                future.set_result(succeed)
                return


def entry(alias_version: str, configs: dict[str, tuple[int, str]]) -> FunctionEntry:
    """``configs``: qualifier → (requested, LastModified)."""
    return FunctionEntry(
        function=FunctionRecord(name="f", created="t", last_version=3),
        versions=frozen_map({v: version(v) for v in (LATEST, *VERSIONS)}),
        aliases=frozen_map({"live": AliasRecord("f", "live", alias_version, "r")}),
        provisioned=frozen_map({q: ProvisionedConfig("f", q, n, stamp)
                                for q, (n, stamp) in configs.items()}))


operations = st.lists(st.one_of(
    st.tuples(st.just("put"), st.sampled_from(("live", *VERSIONS)), st.integers(1, 4)),
    st.tuples(st.just("delete"), st.sampled_from(("live", *VERSIONS)), st.just(0)),
    st.tuples(st.just("repoint"), st.sampled_from(VERSIONS), st.booleans()),
    st.tuples(st.just("refused"), st.sampled_from(VERSIONS), st.just(True)),
    st.tuples(st.just("answer"), st.booleans(), st.just(0)),
    st.tuples(st.just("run"), st.just(0), st.just(0)),
), max_size=30)


@settings(max_examples=150, deadline=None)
@given(operations)
@example([("put", "live", 2), ("run", 0, 0), ("refused", "2", True)])  # a refused switch
@example([("put", "live", 2), ("repoint", "2", True), ("repoint", "1", False)])
def test_slots_are_always_backed_by_ready_environments(steps: list[tuple[object, ...]]) -> None:
    registry = Registry({"f": entry("1", {})})
    ledger = ConcurrencyLedger(1000)
    pool = ModelPool()
    provisioner = Provisioner(registry, ledger, pool, spec_for)

    def check() -> None:
        current = registry.entry("f")
        assert current is not None
        usage = ledger.snapshot().functions.get("f")
        for qualifier in ("live", *VERSIONS):
            owner = owner_name("f", qualifier)
            slots = usage.provisioned[owner].slots if usage and owner in usage.provisioned else 0
            target = targets(current).get(owner)
            if target is None:
                assert slots == 0, (owner, slots)
                continue
            ready_version, ready = pool.ready.get(pool_owner(owner, target.version), ("", 0))
            assert slots <= (ready if ready_version == target.version else 0), (owner, slots)

    async def settle() -> None:
        for _ in range(200):
            pool.answer(True)
            await asyncio.sleep(0)
            check()
            if provisioner.settled and all(f.done() for *_, f in pool.calls):
                return
        raise AssertionError("did not settle")

    async def scenario() -> None:
        task = asyncio.create_task(provisioner.run())
        stamp = 0
        for kind, first, second in steps:
            current = registry.entry("f")
            assert current is not None
            configs = {q: (c.requested, c.last_modified) for q, c in current.provisioned.items()}
            alias = current.aliases["live"].function_version
            if kind == "put":
                stamp += 1
                configs[str(first)] = (int(second), f"s{stamp}")  # type: ignore[call-overload]
            elif kind == "delete":
                configs.pop(str(first), None)
            elif kind in ("repoint", "refused"):
                if second:
                    old = current.aliases["live"]
                    preparing = asyncio.create_task(provisioner.prepare(
                        old, dataclasses.replace(old, function_version=str(first))))
                    for _ in range(200):
                        if preparing.done():
                            break
                        pool.answer(True)
                        await asyncio.sleep(0)
                        check()
                    await preparing
                if kind == "repoint":
                    alias = str(first)
            elif kind == "answer":
                pool.answer(bool(first))
            for _ in range(3):
                await asyncio.sleep(0)
                check()
            if kind in ("answer", "run", "refused"):
                continue  # nothing durable changed
            # AWS's rules: not on both an alias and the version it points to.
            if "live" in configs:
                configs.pop(alias, None)
            registry.replace("f", entry(alias, configs))
            provisioner.on_change(ConcurrencyChanged("f"))
            check()
        await settle()
        current = registry.entry("f")
        assert current is not None
        usage = ledger.snapshot().functions.get("f")
        for owner, target in targets(current).items():
            held = provisioner.status("f", owner.split(":", 1)[1])
            assert held is not None and held.target == target
            slots = usage.provisioned[owner].slots if usage and owner in usage.provisioned else 0
            assert slots == held.allocated
            if held.status == "READY":
                assert slots == target.count
        # Nothing is left running for a version no config wants (a refused switch included).
        wanted = {pool_owner(owner, target.version) for owner, target in targets(current).items()}
        assert {group for group, (_, ready) in pool.ready.items() if ready} <= wanted
        task.cancel()

    asyncio.run(scenario())
