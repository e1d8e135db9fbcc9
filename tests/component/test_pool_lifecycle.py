"""Real worker processes: reaping, retiring, provisioned environments, capacity."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tests.component.pool_support import alive, function, pid_of, run, running_pool, until_gone
from turnout.errors import TooManyRequests
from turnout.pool.pool import Pool
from turnout.pool.spec import EnvironmentSpec, InvocationResult

pytestmark = pytest.mark.component

HANDLER = """
import os, time
print("initialising")

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    if event.get("exit"):
        os._exit(2)
    return {"pid": os.getpid()}
"""
BROKEN = "raise ValueError('cannot start')\n"


async def invoke(pool: Pool, spec: EnvironmentSpec, event: dict[str, object] | None = None,
                 owner: str | None = None) -> InvocationResult:
    return await pool.invoke(spec, json.dumps(event or {}).encode(), request_id="req",
                             invoked_arn=spec.function_arn, provisioned_owner=owner)


def test_idle_environments_are_reaped_after_the_keep_alive(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data", keep_alive_seconds=0.3) as pool:
            pid = pid_of((await invoke(pool, spec)).payload)
            assert alive(pid)
            await until_gone([pid], deadline_s=3.0)
            assert pool.stats().environments == 0
            assert (await invoke(pool, spec)).cold_start

    run(scenario())


def test_warm_reuse_prefers_the_most_recently_used(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            first, second = await asyncio.gather(invoke(pool, spec, {"sleep": 0.3}),
                                                 invoke(pool, spec, {"sleep": 0.05}))
            assert pid_of(first.payload) != pid_of(second.payload)
            # ``first`` finished last, so it is the most recently used.
            assert pid_of((await invoke(pool, spec)).payload) == pid_of(first.payload)
            assert pool.stats().by_state["IDLE"] == 2

    run(scenario())


def test_retire_replaces_old_revisions_idle_now_and_busy_after_their_invocation(
        tmp_path: Path) -> None:
    old = function(tmp_path, {"index.py": HANDLER}, revision="r1")
    new = function(tmp_path, {"index.py": HANDLER}, revision="r2")
    published = function(tmp_path, {"index.py": HANDLER}, revision="v1", version="1")

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            idle_pid = pid_of((await invoke(pool, old)).payload)
            version_pid = pid_of((await invoke(pool, published)).payload)
            busy = asyncio.create_task(invoke(pool, old, {"sleep": 0.4}))
            await asyncio.sleep(0.2)
            pool.retire("fn", keep_revision="r2", version="$LATEST")
            await until_gone([idle_pid])
            busy_result = await busy
            assert busy_result.function_error is None  # allowed to finish
            await until_gone([pid_of(busy_result.payload)])
            assert alive(version_pid)  # other versions are untouched
            assert (await invoke(pool, new)).cold_start
            pool.retire("fn")  # e.g. DeleteFunction: everything goes
            await until_gone([version_pid])
            assert pool.stats().environments == 0

    run(scenario())


def test_provisioned_environments_start_ahead_and_report_no_init(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER}, version="1", revision="v1")

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            report = await pool.set_provisioned("fn:live", spec, 2)
            assert (report.status, report.allocated, report.reason) == ("READY", 2, None)
            assert pool.provisioned_available("fn:live") == 2
            result = await invoke(pool, spec, owner="fn:live")
            assert result.provisioned and not result.cold_start
            assert result.init_duration_ms is None
            assert "Init Duration" not in result.log_tail.decode()
            assert pool.provisioned_available("fn:live") == 2
            # All provisioned environments busy: spill over to on-demand.
            results = await asyncio.gather(*(invoke(pool, spec, {"sleep": 0.2}, "fn:live")
                                             for _ in range(3)))
            assert sorted(r.provisioned for r in results) == [False, True, True]
            spill = next(r for r in results if not r.provisioned)
            assert spill.cold_start and spill.init_duration_ms is not None
            shrunk = await pool.set_provisioned("fn:live", spec, 1)
            assert (shrunk.status, shrunk.allocated) == ("READY", 1)
            assert pool.provisioned_available("fn:live") == 1
            gone = await pool.set_provisioned("fn:live", spec, 0)
            assert gone.allocated == 0 and pool.provisioned_available("fn:live") == 0
            assert pool.stats().provisioned == 0

    run(scenario())


def test_a_lost_provisioned_environment_is_replaced(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER}, version="1", revision="v1")

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            assert (await pool.set_provisioned("fn:1", spec, 1)).allocated == 1
            crashed = await invoke(pool, spec, {"exit": True}, "fn:1")
            assert crashed.provisioned and crashed.error_type == "Runtime.ExitError"
            async with asyncio.timeout(5):
                while pool.provisioned_available("fn:1") < 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            again = await invoke(pool, spec, owner="fn:1")
            assert again.provisioned and again.init_duration_ms is None

    run(scenario())


def test_provisioning_reports_init_failures(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": BROKEN}, version="1")

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            report = await pool.set_provisioned("fn:1", spec, 2)
            assert report.status == "FAILED"
            assert report.allocated == 0
            assert report.reason is not None and "cannot start" in report.reason
            assert pool.provisioned_available("fn:1") == 0

    run(scenario())


def test_capacity_evicts_the_stalest_idle_environment(tmp_path: Path) -> None:
    specs = [function(tmp_path, {"index.py": HANDLER}, name=f"f{i}") for i in range(3)]

    async def scenario() -> None:
        async with running_pool(tmp_path / "data", max_environments=2) as pool:
            first = pid_of((await invoke(pool, specs[0])).payload)
            second = pid_of((await invoke(pool, specs[1])).payload)
            await invoke(pool, specs[0])  # f0 is now more recent than f1
            await invoke(pool, specs[2])
            await until_gone([second])
            assert alive(first)
            assert pool.stats().environments == 2
            busy = [asyncio.create_task(invoke(pool, s, {"sleep": 0.5})) for s in specs[:2]]
            await asyncio.sleep(0.2)
            with pytest.raises(TooManyRequests):
                await invoke(pool, specs[2], {})
            await asyncio.gather(*busy)

    run(scenario())


def test_an_abandoned_invocation_does_not_leave_a_busy_environment(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            pid = pid_of((await invoke(pool, spec)).payload)
            abandoned = asyncio.create_task(invoke(pool, spec, {"sleep": 5}))
            await asyncio.sleep(0.2)
            abandoned.cancel()
            with pytest.raises(asyncio.CancelledError):
                await abandoned
            await until_gone([pid])
            assert pool.stats().by_state["BUSY"] == 0
            assert (await invoke(pool, spec)).cold_start

    run(scenario())


def test_stopping_the_pool_leaves_no_process(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> list[int]:
        async with running_pool(tmp_path / "data") as pool:
            results = await asyncio.gather(*(invoke(pool, spec, {"sleep": 0.1})
                                             for _ in range(3)))
            assert pool._zygote is not None
            return [pid_of(r.payload) for r in results] + [pool._zygote.pid]

    pids = run(scenario())
    assert not any(alive(pid) for pid in pids)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="placement needs two CPUs")
def test_dedicated_placement_keeps_environments_off_the_loops_cpu(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})
    everything = os.sched_getaffinity(0)

    async def scenario() -> tuple[set[int], set[int]]:
        async with running_pool(tmp_path / "data", cpu_placement="on") as pool:
            await asyncio.sleep(0)  # the placer's first decision
            pid = pid_of((await invoke(pool, spec)).payload)
            return os.sched_getaffinity(0), os.sched_getaffinity(pid)

    loop_cpus, environment_cpus = run(scenario())
    assert len(loop_cpus) == 1
    assert environment_cpus == everything - loop_cpus
    assert os.sched_getaffinity(0) == everything  # given back when the pool closes
