"""One execution environment: a worker process, its Runtime API endpoint and its output.

The environment turns what the worker does (``GET /next``, ``/response``,
``/error``, ``/init/error``, exiting) into outcomes, enforces the function's
timeout and memory size, and captures stdout/stderr through a pipe.

The Runtime API is served on a loopback TCP port (``AWS_LAMBDA_RUNTIME_API`` is
``host:port``, which AWS's runtime interface clients and custom runtimes use) and,
for Turnout's own Python runtime, also over a private Unix socket pair connected
before the process starts: the same HTTP, without TCP's loopback stack, which
costs the platform about twice the CPU per exchange with an environment on this
kind of machine (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from turnout.clock import Clock
from turnout.observe.logs import timeout_line
from turnout.pool import runtime_api
from turnout.pool.launcher import ChildFds
from turnout.pool.lifecycle import EnvState, check_transition
from turnout.pool.runtime_api import RuntimeApiConnection
from turnout.pool.spec import EnvironmentSpec

INIT_DEADLINE_S = 10.0  # Lambda's Init phase limit for on-demand environments
MEMORY_CHECK_S = 0.05  # RSS is watched this often while an invocation runs
PEAK_REFRESH_S = 1.0  # after a short invocation, VmHWM is re-read at most this often
RESPONSE_TOO_LARGE = (
    b'{"errorMessage":"Response payload size exceeded maximum allowed payload size '
    b'(6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}')
SIGNAL_NAMES = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault",
                signal.SIGABRT: "aborted", signal.SIGTERM: "terminated",
                signal.SIGBUS: "bus error", signal.SIGINT: "interrupt", signal.SIGHUP: "hangup"}

Spawner = Callable[[Mapping[str, object], ChildFds, Callable[[int], None]], Awaitable[int]]


def exit_description(status: int) -> str:
    """A wait status in the words of Lambda's ``Runtime exited with error: …``."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"signal: {SIGNAL_NAMES.get(signal.Signals(number), str(number))}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def platform_error(error_type: str, request_id: str, detail: str) -> bytes:
    """A payload for an error the platform observed, e.g. ``Sandbox.Timedout``."""
    return json.dumps({"errorType": error_type,
                       "errorMessage": f"RequestId: {request_id} Error: {detail}"},
                      separators=(",", ":")).encode()


class Outcome(NamedTuple):
    """What one invocation produced, before log framing."""

    payload: bytes
    error_type: str | None  # None: success
    output: bytes  # what the function printed (and platform lines such as a timeout)
    duration_ms: float
    max_memory_mb: int


@dataclass(slots=True)
class _Invocation:
    request_id: str
    started: float
    deadline: float  # monotonic
    future: asyncio.Future[tuple[bytes, str | None]]


def read_memory_kb(status_path: str) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB from ``/proc/PID/status``; zeros when the process is gone."""
    try:
        fd = os.open(status_path, os.O_RDONLY)
    except OSError:
        return 0, 0
    try:
        text = os.read(fd, 4096)
    except OSError:
        return 0, 0
    finally:
        os.close(fd)
    rss = peak = 0
    at = text.find(b"VmHWM:")
    if at >= 0:
        peak = int(text[at + 6:text.index(b"kB", at)])
    at = text.find(b"VmRSS:")
    if at >= 0:
        rss = int(text[at + 6:text.index(b"kB", at)])
    return rss, peak


class Environment:
    """A worker process serving one ``EnvironmentSpec``; see ``lifecycle`` for its states."""

    def __init__(self, env_id: str, spec: EnvironmentSpec, clock: Clock,
                 on_dead: Callable[[Environment], None],
                 provisioned_owner: str | None = None) -> None:
        self.env_id = env_id
        self.spec = spec
        self.provisioned_owner = provisioned_owner
        self.state = EnvState.STARTING
        self.last_used = clock.monotonic()
        self.pid = 0
        self.retiring = False
        self.init_duration_ms: float | None = None
        self.init_failure: tuple[str, bytes | None] | None = None  # (type, posted body)
        self.init_output = b""
        self._clock = clock
        self._on_dead = on_dead
        self._loop = asyncio.get_running_loop()
        self._server: asyncio.Server | None = None
        self._private: RuntimeApiConnection | None = None
        self._connections: set[RuntimeApiConnection] = set()
        self._parked: RuntimeApiConnection | None = None
        self._pending_event: tuple[bytes, bytes] | None = None
        self._current: _Invocation | None = None
        self._watch_timer: asyncio.TimerHandle | None = None
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self.exited: asyncio.Future[int] = self._loop.create_future()
        self._output = bytearray()
        self._out_fd = -1
        self._tmpdir = ""
        self._status_path = ""
        self._peak_kb = 0
        self._peak_read_at = float("-inf")
        self._killed_for: str | None = None
        self._started = 0.0

    # ----- lifecycle -------------------------------------------------------------------------
    def _move(self, target: EnvState) -> None:
        self.state = check_transition(self.state, target)

    async def start(self, spawn: Spawner, config: dict[str, object],
                    variables: Callable[[int, str], dict[str, str]],
                    init_deadline_s: float = INIT_DEADLINE_S,
                    private_socket: bool = False) -> None:
        """Create the process and run its Init; afterwards the state is IDLE or DEAD.

        ``variables(port, tmpdir)`` builds the environment variables once the
        Runtime API port and the private temporary directory exist.
        ``private_socket``: also hand the process a connected Unix socket to the
        Runtime API (only Turnout's own Python runtime knows to use it).
        """
        self._server, port = await runtime_api.serve(self._loop, self)
        theirs = None
        if private_socket:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            _, self._private = await self._loop.connect_accepted_socket(
                lambda: RuntimeApiConnection(self), ours)
        self._tmpdir = tempfile.mkdtemp(prefix="turnout-env-")
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self._out_fd = read_fd
        self._loop.add_reader(read_fd, self._drain)
        config = dict(config, env=variables(port, self._tmpdir))
        self._started = self._clock.monotonic()
        try:
            fds = ChildFds(write_fd, None if theirs is None else theirs.fileno())
            self.pid = await spawn(config, fds, self._process_exited)
        except BaseException:
            self._die()
            self._cleanup()
            if not self.exited.done():
                self.exited.set_result(-1)
            raise
        finally:
            os.close(write_fd)
            if theirs is not None:
                theirs.close()
        self._status_path = f"/proc/{self.pid}/status"
        if self.state is EnvState.STARTING:
            self._move(EnvState.INITIALIZING)
        try:
            async with asyncio.timeout(init_deadline_s):
                await asyncio.shield(self._ready)
        except TimeoutError:
            self.init_failure = ("Sandbox.Timedout", None)
            self.kill("init-timeout")

    @property
    def stop_reason(self) -> str | None:
        """Why the platform killed it ("timeout", "oom", "retired", …); None if it ended itself."""
        return self._killed_for

    def claim(self) -> None:
        """IDLE → BUSY, synchronously (no await between choosing and claiming)."""
        self._move(EnvState.BUSY)

    def kill(self, reason: str = "stop") -> None:
        """Kill the whole process group; the environment is DEAD from now on."""
        if self._killed_for is None:
            self._killed_for = reason
        if self.pid and not self.exited.done():  # never signal a reaped (reusable) pid
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(self.pid, signal.SIGKILL)
        self._die()

    def _die(self) -> None:
        if self.state is EnvState.DEAD:
            return
        self._move(EnvState.DEAD)
        self._stop_watch()
        if self._server is not None:
            self._server.close()
        if self._private is not None:
            self._private.close()
        for connection in list(self._connections):
            connection.close()
        if not self._ready.done():
            self._ready.set_result(None)
        self._on_dead(self)

    def _process_exited(self, status: int) -> None:
        self._drain()
        if self.state in (EnvState.STARTING, EnvState.INITIALIZING) and self.init_failure is None:
            self.init_failure = ("Runtime.ExitError", None)
        current = self._current
        if current is not None and not current.future.done():
            detail = "Runtime exited with error: " + exit_description(status)
            kind = "Runtime.OutOfMemory" if self._killed_for == "oom" else "Runtime.ExitError"
            current.future.set_result((platform_error(kind, current.request_id, detail), kind))
        self._die()
        self._cleanup()
        if not self.exited.done():
            self.exited.set_result(status)

    def exit_detail(self) -> str:
        status = self.exited.result() if self.exited.done() else signal.SIGKILL
        return "Runtime exited with error: " + exit_description(status)

    def _cleanup(self) -> None:
        if self._out_fd >= 0:
            self._loop.remove_reader(self._out_fd)
            os.close(self._out_fd)
            self._out_fd = -1
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = ""

    # ----- output ----------------------------------------------------------------------------
    def _drain(self) -> None:
        fd = self._out_fd
        while fd >= 0:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._loop.remove_reader(fd)
                os.close(fd)
                self._out_fd = -1
                return
            self._output += chunk

    def take_output(self) -> bytes:
        self._drain()
        data = bytes(self._output)
        self._output.clear()
        return data

    # ----- invocation ------------------------------------------------------------------------
    async def invoke(self, payload: bytes, request_id: str, invoked_arn: str, trace_id: str,
                     client_context: str | None, cognito_identity: str | None) -> Outcome:
        """Run one event (the environment must be BUSY: see ``claim``)."""
        clock = self._clock
        started = clock.monotonic()
        deadline_ms = int((clock.now() + self.spec.timeout_s) * 1000)
        headers = runtime_api.event_headers(request_id, deadline_ms, invoked_arn, trace_id,
                                            client_context, cognito_identity)
        future: asyncio.Future[tuple[bytes, str | None]] = self._loop.create_future()
        timeout_s = self.spec.timeout_s
        current = self._current = _Invocation(request_id, started, started + timeout_s, future)
        parked, self._parked = self._parked, None
        if parked is None or not parked.send_event(headers, payload):
            self._pending_event = (headers, payload)
        self._watch_timer = self._loop.call_later(min(MEMORY_CHECK_S, timeout_s), self._watch,
                                                  current)
        try:
            body, error_type = await future
        except BaseException:  # abandoned mid-invocation: the worker's state is unknown
            self.kill("abandoned")
            raise
        finally:
            self._stop_watch()
            self._current = None
            self._pending_event = None
        ended = clock.monotonic()
        duration_ms = (ended - started) * 1000.0
        self.last_used = ended
        if self.state is EnvState.BUSY and ended - self._peak_read_at >= PEAK_REFRESH_S:
            self._peak_read_at = ended
            _, peak = read_memory_kb(self._status_path)
            self._peak_kb = max(self._peak_kb, peak)
        output = bytes(self._output)
        self._output.clear()
        if error_type == "Sandbox.Timedout":
            output += timeout_line(clock.now(), request_id, float(self.spec.timeout_s))
        if self.state is EnvState.BUSY:
            self._move(EnvState.IDLE)
        return Outcome(body, error_type, output, duration_ms, max(1, -(-self._peak_kb // 1024)))

    def _watch(self, current: _Invocation) -> None:
        """While ``current`` runs: enforce its timeout and watch RSS against MemorySize."""
        self._watch_timer = None
        if self._current is not current or current.future.done():
            return
        now = self._clock.monotonic()
        deadline = current.deadline
        if now >= deadline:
            self._timed_out(current)
            return
        rss, peak = read_memory_kb(self._status_path)
        self._peak_kb = max(self._peak_kb, peak)
        if rss > self.spec.memory_mb * 1024:
            self._peak_kb = max(self._peak_kb, self.spec.memory_mb * 1024)
            self.kill("oom")
            return
        self._watch_timer = self._loop.call_later(min(MEMORY_CHECK_S, max(deadline - now, 0.0)),
                                                  self._watch, current)

    def _stop_watch(self) -> None:
        if self._watch_timer is not None:
            self._watch_timer.cancel()
            self._watch_timer = None

    def _timed_out(self, current: _Invocation) -> None:
        self.kill("timeout")
        detail = f"Task timed out after {float(self.spec.timeout_s):.2f} seconds"
        current.future.set_result(
            (platform_error("Sandbox.Timedout", current.request_id, detail), "Sandbox.Timedout"))

    # ----- RuntimeApiHandler -----------------------------------------------------------------
    def next_invocation(self, connection: RuntimeApiConnection) -> None:
        self._connections.add(connection)
        if self.state is EnvState.STARTING:
            # The worker can be quicker than the fork-server's answer naming its pid.
            self._move(EnvState.INITIALIZING)
        if self.state is EnvState.INITIALIZING:
            self.init_duration_ms = (self._clock.monotonic() - self._started) * 1000.0
            self.init_output = self.take_output()
            self._move(EnvState.IDLE)
            self.last_used = self._clock.monotonic()
            if not self._ready.done():
                self._ready.set_result(None)
        pending, self._pending_event = self._pending_event, None
        if pending is not None and connection.send_event(*pending):
            return
        self._parked = connection

    def _answer(self, request_id: str, body: bytes, error_type: str | None,
                ) -> tuple[int, bytes]:
        current = self._current
        if current is None or current.request_id != request_id or current.future.done():
            return 400, runtime_api.error_body("InvalidRequestID", "Invalid request ID")
        # No read of the output pipe here: whatever the function wrote before answering
        # made the pipe readable before this socket was, so the loop runs its reader in
        # this same turn, before the invocation resumes (in a later turn) and takes it.
        current.future.set_result((body, error_type))
        return runtime_api.ACCEPTED

    def invocation_response(self, request_id: str, body: bytes) -> tuple[int, bytes]:
        if len(body) > runtime_api.MAX_RESPONSE_BYTES:
            status = self._answer(request_id, RESPONSE_TOO_LARGE, "Function.ResponseSizeTooLarge")
            if status[0] != 202:
                return status
            return 413, runtime_api.error_body(
                "RequestEntityTooLarge",
                "Exceeded maximum allowed payload size (6291556 bytes).")
        return self._answer(request_id, body, None)

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None,
                         ) -> tuple[int, bytes]:
        kind = error_type or "Unhandled"
        if not body:
            body = json.dumps({"errorMessage": kind, "errorType": kind}).encode()
        return self._answer(request_id, body, kind)

    def init_error(self, body: bytes, error_type: str | None) -> tuple[int, bytes]:
        if self.state not in (EnvState.STARTING, EnvState.INITIALIZING):
            return 403, runtime_api.error_body("InvalidStateTransition",
                                               "State transition from Ready to InitError failed")
        self.init_failure = (error_type or "Runtime.Unknown", body or None)
        self.kill("init-error")
        return runtime_api.ACCEPTED

    def connection_lost(self, connection: RuntimeApiConnection) -> None:
        self._connections.discard(connection)
        if self._parked is connection:
            self._parked = None
