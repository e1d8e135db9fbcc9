"""The pool of execution environments: warm reuse, cold starts, provisioning, reaping.

Decisions (which idle environment to reuse, evict or reap) are in ``policy``;
this module applies them. All state is owned by the event loop: there is no
``await`` between choosing an environment and claiming it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Mapping
from types import TracebackType

from turnout.bootstrap import runtime as python_runtime
from turnout.clock import Clock
from turnout.errors import LambdaError, TooManyRequests
from turnout.ids import trace_header
from turnout.observe import logs as log_format
from turnout.observe.logs import LogStore
from turnout.pool import policy
from turnout.pool.environment import Environment, Outcome, platform_error
from turnout.pool.interpreters import Interpreters
from turnout.pool.launcher import (
    SOURCE_ROOT,
    ChildFds,
    ExitCallback,
    Zygote,
    entrypoint_problem,
    spawn_fresh,
)
from turnout.pool.lifecycle import EnvState
from turnout.pool.placement import CpuPlacer
from turnout.pool.spec import EnvironmentSpec, InvocationResult, PoolStats, ProvisionReport
from turnout.pool.variables import environment_variables, is_python, log_stream_name
from turnout.settings import Settings

COLD_START_WAIT_S = 30.0
# Provisioned environments that end for these reasons (None: by themselves) are replaced.
REPLACEABLE = {None, "timeout", "oom", "abandoned"}
SHUTDOWN_DEADLINE_S = 5.0
RUNTIME_DIR = os.path.dirname(python_runtime.__file__)
Key = tuple[str, str, str]
log = logging.getLogger(__name__)


class Pool:
    def __init__(self, settings: Settings, clock: Clock, logs: LogStore) -> None:
        self.settings = settings
        self._clock = clock
        self._logs = logs
        self._interpreters = Interpreters()
        self._envs: dict[str, Environment] = {}
        self._idle: dict[Key, dict[str, Environment]] = {}
        self._provisioned: dict[str, dict[str, Environment]] = {}
        self._provision_targets: dict[str, tuple[Key, int]] = {}
        self._closing = False
        self._dying: set[Environment] = set()
        self._zygote: Zygote | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._cold_gate = asyncio.Semaphore(settings.max_parallel_cold_starts)
        self._placer = CpuPlacer(settings.cpu_placement, clock, self._placed_pids,
                                 lambda: self.busy_seconds)
        self.cold_starts = 0
        self.warm_starts = 0
        self.busy_seconds = 0.0  # summed time environments spent running invocations
        self._in_flight = 0
        self._wait_poll_s = settings.wait_poll_us / 1e6
        self._loop: asyncio.AbstractEventLoop | None = None

    # ----- lifetime --------------------------------------------------------------------------
    async def __aenter__(self) -> Pool:
        self._loop = asyncio.get_running_loop()
        if self.settings.use_zygote:
            self._zygote = Zygote(asyncio.get_running_loop(), self._interpreters.host)
            self._zygote.start()
            await self._zygote.ready()
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        self._background.add(self._tasks.create_task(self._reap_forever(), name="pool-reaper"))
        self._background.add(self._tasks.create_task(self._placer.run(), name="cpu-placement"))
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        self._closing = True
        try:
            for task in self._background:
                task.cancel()
            if self._tasks is not None:
                # Our own background tasks only: the caller's error propagates unwrapped.
                await self._tasks.__aexit__(None, None, None)
        finally:
            await self._stop_everything()

    async def _stop_everything(self) -> None:
        self._closing = True
        for env in list(self._envs.values()):
            env.kill("shutdown")
        waiting = [env.exited for env in self._dying if not env.exited.done()]
        if waiting:
            try:
                async with asyncio.timeout(SHUTDOWN_DEADLINE_S):
                    await asyncio.gather(*waiting)
            except TimeoutError:
                pass
        if self._zygote is not None:
            await self._zygote.close()

    # ----- invoking --------------------------------------------------------------------------
    async def invoke(self, spec: EnvironmentSpec, payload: bytes, *, request_id: str,
                     invoked_arn: str, client_context: str | None = None,
                     cognito_identity: str | None = None,
                     provisioned_owner: str | None = None) -> InvocationResult:
        """Run one event in a warm environment, else a new one (a cold start)."""
        env: Environment | None = None
        if provisioned_owner is not None:
            env = self._take_idle(self._provisioned.get(provisioned_owner), spec.key)
        provisioned = env is not None
        if env is None:
            env = self._take_idle(self._idle.get(spec.key), spec.key)
        cold = env is None
        if env is None:
            problem = None if is_python(spec.runtime) else entrypoint_problem(spec)
            if problem is not None:
                return self._failed_start(spec, request_id, "Runtime.InvalidEntrypoint", problem)
            env = await self._cold_start(spec, None)
            if env.init_failure is not None or env.state is not EnvState.IDLE:
                return self._init_failure(env, request_id)
            env.claim()
        else:
            self.warm_starts += 1
        self._in_flight += 1
        if self._in_flight == 1 and self._wait_poll_s > 0:
            self._poll_while_waiting(self._clock.monotonic() + self._wait_poll_s)
        try:
            outcome = await env.invoke(payload, request_id, invoked_arn,
                                       trace_header(self._clock.now()),
                                       client_context, cognito_identity)
        finally:
            self._in_flight -= 1
        self.busy_seconds += outcome.duration_ms / 1000.0
        self._release(env)
        init_ms = env.init_duration_ms if cold else None
        prefix = env.init_output if cold else b""
        return self._record(spec, request_id, outcome, prefix, init_ms, cold, provisioned)

    def _poll_while_waiting(self, until: float) -> None:
        """While a lone invocation runs, keep the event loop polling (a callback always
        ready, so it never blocks) until ``until``, instead of sleeping until the answer.

        On a virtual machine, waking an idle vCPU costs tens of microseconds twice (the
        worker's write pays for the wake-up, the loop for waking); polling for the first
        half millisecond answers a quick function without either. It stops as soon as the
        invocation ends or another starts (concurrent work keeps the loop busy anyway).
        ``--wait-poll-us 0`` turns it off. See docs/performance.md.
        """
        if self._in_flight == 1 and self._clock.monotonic() < until and self._loop:
            self._loop.call_soon(self._poll_while_waiting, until)

    def _take_idle(self, group: dict[str, Environment] | None, key: Key) -> Environment | None:
        if not group:
            return None
        if len(group) == 1:  # the common case, without building candidates
            env = next(iter(group.values()))
            if env.state is not EnvState.IDLE or env.spec.key != key or env.retiring:
                return None
            env.claim()
            if env.provisioned_owner is None:
                del group[env.env_id]
            return env
        if next(iter(group.values())).provisioned_owner is None:
            return self._take_newest(group, key)
        candidates = [policy.Candidate(env.env_id, env.last_used) for env in group.values()
                      if env.state is EnvState.IDLE and env.spec.key == key and not env.retiring]
        chosen = policy.pick_warm(candidates)
        if chosen is None:
            return None
        env = group[chosen]
        env.claim()
        return env

    @staticmethod
    def _take_newest(group: dict[str, Environment], key: Key) -> Environment | None:
        """``policy.pick_warm`` for an on-demand group without building candidates: such a
        group is in release order (``_release`` adds an environment right after its
        ``last_used`` is set), so its last usable entry is the most recently used."""
        for env in reversed(group.values()):
            if env.state is EnvState.IDLE and env.spec.key == key and not env.retiring:
                env.claim()
                del group[env.env_id]
                return env
        return None

    def _release(self, env: Environment) -> None:
        if env.state is not EnvState.IDLE:
            return
        if env.retiring:
            env.kill("retired")
        elif env.provisioned_owner is None:
            self._idle.setdefault(env.spec.key, {})[env.env_id] = env

    def _record(self, spec: EnvironmentSpec, request_id: str, outcome: Outcome, prefix: bytes,
                init_ms: float | None, cold: bool, provisioned: bool) -> InvocationResult:
        record = prefix + log_format.invocation_record(
            request_id, spec.version, outcome.output, outcome.duration_ms, spec.memory_mb,
            outcome.max_memory_mb, init_ms)
        self._logs.append(spec.function_name, spec.version, record)
        return InvocationResult(
            request_id=request_id, payload=outcome.payload,
            function_error=None if outcome.error_type is None else "Unhandled",
            executed_version=spec.version, log_tail=log_format.tail(record),
            duration_ms=outcome.duration_ms,
            max_memory_mb=outcome.max_memory_mb, init_duration_ms=init_ms, cold_start=cold,
            error_type=outcome.error_type, provisioned=provisioned)

    def _init_failure(self, env: Environment, request_id: str) -> InvocationResult:
        """The invocation's answer when the environment's Init failed."""
        error_type, body = env.init_failure or ("Runtime.ExitError", None)
        if body is None:
            detail = (f"Task timed out after {env.spec.timeout_s:.2f} seconds"
                      if error_type == "Sandbox.Timedout" else env.exit_detail())
            body = platform_error(error_type, request_id, detail)
        output = env.init_output + env.take_output()
        outcome = Outcome(body, error_type, output, 0.0, 0)
        return self._record(env.spec, request_id, outcome, b"", None, True, False)

    def _failed_start(self, spec: EnvironmentSpec, request_id: str, error_type: str,
                      detail: str) -> InvocationResult:
        outcome = Outcome(platform_error(error_type, request_id, detail), error_type, b"", 0.0, 0)
        return self._record(spec, request_id, outcome, b"", None, True, False)

    # ----- starting environments -------------------------------------------------------------
    async def _cold_start(self, spec: EnvironmentSpec, owner: str | None) -> Environment:
        """Start and initialise an environment; it is IDLE (or DEAD with ``init_error``)."""
        evict = policy.choose_evictions(self._idle_candidates(), len(self._envs),
                                        self.settings.max_environments)
        if evict is None:
            raise TooManyRequests("Rate Exceeded.", Reason="ConcurrentInvocationLimitExceeded")
        for env_id in evict:
            self._envs[env_id].kill("evicted")
        env = Environment(uuid.uuid4().hex, spec, self._clock, self._env_dead, owner)
        self._envs[env.env_id] = env
        if owner is not None:
            self._provisioned.setdefault(owner, {})[env.env_id] = env
        try:
            async with asyncio.timeout(COLD_START_WAIT_S):
                await self._cold_gate.acquire()
        except TimeoutError:
            env.kill("no start slot")
            raise TooManyRequests("Rate Exceeded.",
                                  Reason="ConcurrentInvocationLimitExceeded") from None
        try:
            self.cold_starts += 1
            await env.start(self._spawner(spec), self._config(spec),
                            lambda port, tmpdir: self._variables(env, port, tmpdir),
                            private_socket=is_python(spec.runtime))
        except BaseException:
            env.kill("failed start")
            raise
        finally:
            self._cold_gate.release()
        return env

    def _spawner(self, spec: EnvironmentSpec):  # type: ignore[no-untyped-def]
        interpreter = self._interpreters.resolve(spec.runtime)
        zygote = self._zygote
        if zygote is not None and interpreter == self._interpreters.host:
            if not zygote.alive:
                zygote = self._zygote = Zygote(asyncio.get_running_loop(), interpreter)
                zygote.start()
                self._placer.place(zygote.pid)
            spawn = zygote.spawn
        else:
            async def spawn(config: Mapping[str, object], fds: ChildFds,
                            on_exit: ExitCallback) -> int:
                return spawn_fresh(asyncio.get_running_loop(), interpreter, config, fds,
                                   on_exit)

        async def placed(config: Mapping[str, object], fds: ChildFds,
                         on_exit: ExitCallback) -> int:
            pid = await spawn(config, fds, on_exit)
            self._placer.place(pid)
            return pid

        return placed

    def _config(self, spec: EnvironmentSpec) -> dict[str, object]:
        config: dict[str, object] = {"cwd": str(spec.code_dir), "mode": "python",
                                     "hide_paths": [SOURCE_ROOT, ""]}
        if not is_python(spec.runtime):
            config.update(mode="exec", exec_path=str(spec.code_dir / "bootstrap"))
        return config

    def _variables(self, env: Environment, port: int, tmpdir: str) -> dict[str, str]:
        day = time.strftime("%Y/%m/%d", time.gmtime(self._clock.now()))
        return environment_variables(
            env.spec, region=self.settings.region, endpoint=self.settings.endpoint,
            runtime_api=f"127.0.0.1:{port}", log_stream=log_stream_name(day, env.spec.version,
                                                                         env.env_id),
            tmpdir=tmpdir, interpreter=self._interpreters.host, runtime_dir=RUNTIME_DIR,
            provisioned=env.provisioned_owner is not None)

    def _env_dead(self, env: Environment) -> None:
        self._envs.pop(env.env_id, None)
        group = self._idle.get(env.spec.key)
        if group is not None:
            group.pop(env.env_id, None)
            if not group:
                del self._idle[env.spec.key]
        if env.provisioned_owner is not None:
            owned = self._provisioned.get(env.provisioned_owner)
            if owned is not None:
                owned.pop(env.env_id, None)
            self._maybe_replace(env)
        if not env.exited.done():
            self._dying.add(env)
            env.exited.add_done_callback(lambda _: self._dying.discard(env))

    def _placed_pids(self) -> list[int]:
        """The processes placed with the environments: every environment, the fork-server."""
        pids = [env.pid for env in self._envs.values() if env.pid]
        if self._zygote is not None and self._zygote.alive and self._zygote.pid:
            pids.append(self._zygote.pid)
        return pids

    def _idle_candidates(self) -> list[policy.Candidate]:
        return [policy.Candidate(env.env_id, env.last_used)
                for group in self._idle.values() for env in group.values()
                if env.state is EnvState.IDLE]

    # ----- provisioned concurrency -----------------------------------------------------------
    async def set_provisioned(self, owner: str, spec: EnvironmentSpec, count: int,
                              ) -> ProvisionReport:
        """Keep ``count`` initialised environments of ``spec`` for ``owner`` ("orders:live")."""
        group = self._provisioned.setdefault(owner, {})
        self._provision_targets[owner] = (spec.key, count)
        if count == 0:
            del self._provision_targets[owner]
        for env in list(group.values()):
            if env.spec.key != spec.key:
                self._retire_env(env)
        alive = [env for env in group.values() if not env.retiring]
        surplus = len(alive) - count
        if surplus > 0:
            order = sorted(alive, key=lambda e: (e.state is EnvState.IDLE, -e.last_used),
                           reverse=True)
            for env in order[:surplus]:
                self._retire_env(env)
        reasons: list[str] = []
        if surplus < 0:
            async with asyncio.TaskGroup() as starting:
                for _ in range(-surplus):
                    starting.create_task(self._provision_one(owner, spec, reasons))
        allocated = sum(1 for env in group.values() if not env.retiring)
        if not group:
            self._provisioned.pop(owner, None)
        if reasons:
            return ProvisionReport("FAILED", count, allocated, reasons[0])
        return ProvisionReport("READY", count, allocated)

    async def _provision_one(self, owner: str, spec: EnvironmentSpec, reasons: list[str]) -> None:
        if not is_python(spec.runtime):
            problem = entrypoint_problem(spec)
            if problem is not None:
                reasons.append(f"Runtime.InvalidEntrypoint: {problem}")
                return
        try:
            env = await self._cold_start(spec, owner)
        except TooManyRequests as exc:
            reasons.append(exc.message)
            return
        if env.retiring:  # set_provisioned or retire changed its mind meanwhile
            env.kill("retired")
        output = env.init_output + (env.take_output() if env.init_failure else b"")
        if output:
            self._logs.append(spec.function_name, spec.version, output)
        if env.init_failure is not None or (env.state is not EnvState.IDLE
                                            and env.stop_reason != "retired"):
            error_type, body = env.init_failure or ("Runtime.ExitError", None)
            reasons.append(f"{error_type}: " + (body or env.exit_detail().encode()).decode(
                "utf-8", "replace"))

    def _maybe_replace(self, env: Environment) -> None:
        """Start a replacement for a provisioned environment lost after its Init, as Lambda does."""
        owner = env.provisioned_owner
        if owner is None or self._closing or self._tasks is None or env.retiring \
                or env.stop_reason not in REPLACEABLE or env.init_duration_ms is None:
            return
        target = self._provision_targets.get(owner)
        if target is None or target[0] != env.spec.key:
            return
        live = sum(1 for e in self._provisioned.get(owner, {}).values() if not e.retiring)
        if live < target[1]:
            task = self._tasks.create_task(self._replace(owner, env.spec),
                                           name=f"replace-provisioned-{owner}")
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _replace(self, owner: str, spec: EnvironmentSpec) -> None:
        reasons: list[str] = []
        try:
            await self._provision_one(owner, spec, reasons)
        except LambdaError as exc:
            reasons.append(exc.message)
        if reasons:
            log.warning("could not replace a provisioned environment of %s: %s", owner,
                        reasons[0])

    def provisioned_available(self, owner: str) -> int:
        group = self._provisioned.get(owner, {})
        return sum(1 for env in group.values() if env.state is EnvState.IDLE and not env.retiring)

    # ----- retiring and reaping --------------------------------------------------------------
    def retire(self, function_name: str, keep_revision: str | None = None, *,
               version: str | None = None) -> None:
        """Stop environments of ``function_name`` (only ``version`` if given) whose revision is
        not ``keep_revision``: idle ones now, busy ones when their invocation ends."""
        for env in list(self._envs.values()):
            spec = env.spec
            if spec.function_name != function_name or spec.revision_id == keep_revision:
                continue
            if version is not None and spec.version != version:
                continue
            self._retire_env(env)

    def _retire_env(self, env: Environment) -> None:
        """Idle: stop now. Starting or busy: finish what it was started for, then stop."""
        if env.state is EnvState.IDLE:
            env.kill("retired")
        elif env.state is not EnvState.DEAD:
            env.retiring = True

    async def _reap_forever(self) -> None:
        keep_alive = self.settings.keep_alive_seconds
        while True:
            now = self._clock.monotonic()
            for env_id in policy.choose_reaps(self._idle_candidates(), now, keep_alive):
                self._envs[env_id].kill("reaped")
            delay = policy.next_reap_delay(self._idle_candidates(), now, keep_alive,
                                           ceiling_s=min(1.0, keep_alive))
            await self._clock.sleep(max(delay, 0.01))

    def stats(self) -> PoolStats:
        by_state = {state.value: 0 for state in EnvState}
        for env in self._envs.values():
            by_state[env.state.value] += 1
        by_state[EnvState.DEAD.value] = len(self._dying)
        provisioned = sum(len(group) for group in self._provisioned.values())
        return PoolStats(by_state, len(self._envs), provisioned, self.cold_starts,
                         self.warm_starts)
