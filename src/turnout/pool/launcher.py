"""Starting worker processes: through the fork-server (zygote) or as a fresh interpreter.

Both report a child's end through ``on_exit(wait_status)``: the zygote reaps its
children and sends the status; a fresh interpreter is our own child, watched
with a pidfd on the event loop.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import turnout
from turnout.errors import ServiceError
from turnout.pool.spec import EnvironmentSpec

ExitCallback = Callable[[int], None]

SOURCE_ROOT = str(Path(turnout.__file__).resolve().parent.parent)
ZYGOTE_START = ("import sys; sys.path.insert(0, sys.argv[3]); "
                "from turnout.bootstrap.zygote import main; main()")
LAUNCH_START = ("import sys, json; sys.path.insert(0, json.loads(sys.argv[1])['source_root']); "
                "from turnout.bootstrap.launch import main; main()")
SPAWN_DEADLINE_S = 10.0
KILLED_STATUS = signal.SIGKILL  # a wait status meaning "killed by SIGKILL"


class LaunchFailed(ServiceError):
    """The platform could not create a worker process."""


class ChildFds(NamedTuple):
    """The descriptors a new environment's process receives."""

    output: int  # the write end of its stdout/stderr pipe
    runtime: int | None  # its end of the private Runtime API socket (Python runtimes)

    def handed(self) -> list[int]:
        return [self.output] if self.runtime is None else [self.output, self.runtime]


def entrypoint_problem(spec: EnvironmentSpec) -> str | None:
    """Why a custom runtime's ``bootstrap`` cannot run, in Lambda's words, or None."""
    path = spec.code_dir / "bootstrap"
    if not path.is_file():
        return f"Couldn't find valid bootstrap(s): [{path}]"
    if not os.access(path, os.X_OK):
        return f"fork/exec {path}: permission denied"
    return None


def watch_child(loop: asyncio.AbstractEventLoop, pid: int, on_exit: ExitCallback) -> None:
    """Call ``on_exit(status)`` when our child ``pid`` ends (pidfd readable → waitpid)."""
    pidfd = os.pidfd_open(pid)

    def ended() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = KILLED_STATUS
        on_exit(status)

    loop.add_reader(pidfd, ended)


def spawn_fresh(loop: asyncio.AbstractEventLoop, interpreter: str, config: Mapping[str, object],
                fds: ChildFds, on_exit: ExitCallback) -> int:
    """Start ``interpreter`` running ``turnout.bootstrap.launch`` in a new session."""
    settings = {key: value for key, value in config.items() if key != "env"}
    settings.update(parent=os.getpid(), source_root=SOURCE_ROOT, hide_paths=[SOURCE_ROOT, ""],
                    private_fd=fds.runtime)
    try:
        process = subprocess.Popen(
            [interpreter, "-c", LAUNCH_START, json.dumps(settings)],
            stdin=subprocess.DEVNULL, stdout=fds.output, stderr=fds.output,
            cwd=str(config["cwd"]), env=dict(config["env"]),  # type: ignore[call-overload]
            start_new_session=True, close_fds=True,
            pass_fds=() if fds.runtime is None else (fds.runtime,))
    except OSError as exc:
        raise LaunchFailed(f"cannot start {interpreter}: {exc}") from exc
    process.returncode = 0  # we reap it ourselves (watch_child); keep Popen from waiting
    watch_child(loop, process.pid, on_exit)
    return process.pid


class Zygote:
    """The platform's side of the fork-server."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interpreter: str = sys.executable) -> None:
        self._loop = loop
        self._interpreter = interpreter
        self._sock: socket.socket | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[asyncio.Future[int], ExitCallback]] = {}
        self._children: dict[int, ExitCallback] = {}
        self.pid = 0
        self._ended: asyncio.Future[int] = loop.create_future()
        self._ready: asyncio.Future[None] = loop.create_future()

    @property
    def alive(self) -> bool:
        return self._sock is not None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = subprocess.Popen(
                [self._interpreter, "-c", ZYGOTE_START, str(theirs.fileno()), str(os.getpid()),
                 SOURCE_ROOT],
                stdin=subprocess.DEVNULL, pass_fds=[theirs.fileno()], start_new_session=True,
                close_fds=True)
        finally:
            theirs.close()
        process.returncode = 0  # reaped by watch_child
        self.pid = process.pid
        ours.setblocking(False)
        self._sock = ours
        self._loop.add_reader(ours.fileno(), self._readable)
        watch_child(self._loop, process.pid, self._zygote_ended)

    async def ready(self, deadline_s: float = 60.0) -> None:
        """Wait until the zygote has imported everything it preloads."""
        async with asyncio.timeout(deadline_s):
            await asyncio.shield(self._ready)

    async def spawn(self, config: Mapping[str, object], fds: ChildFds, on_exit: ExitCallback,
                    ) -> int:
        """Fork an environment; return its pid once the zygote has forked it."""
        if self._sock is None:
            raise LaunchFailed("the fork-server is not running")
        request_id = next(self._ids)
        future: asyncio.Future[int] = self._loop.create_future()
        self._pending[request_id] = (future, on_exit)
        message = json.dumps(dict(config, id=request_id)).encode()
        try:
            self._sock.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                            array.array("i", fds.handed()))])
        except OSError as exc:
            self._pending.pop(request_id, None)
            raise LaunchFailed(f"fork-server unreachable: {exc}") from exc
        try:
            async with asyncio.timeout(SPAWN_DEADLINE_S):
                return await future
        finally:
            self._pending.pop(request_id, None)

    def _readable(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                message = sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                message = b""
            if not message:
                self._lost()
                return
            record = json.loads(message)
            if "ready" in record:
                if not self._ready.done():
                    self._ready.set_result(None)
            elif "pid" in record:
                entry = self._pending.pop(record["id"], None)
                if entry is not None:
                    future, on_exit = entry
                    self._children[record["pid"]] = on_exit
                    if not future.done():
                        future.set_result(record["pid"])
            elif "exit" in record:
                callback = self._children.pop(record["exit"], None)
                if callback is not None:
                    callback(record["status"])

    def _lost(self) -> None:
        """The zygote is gone; its children die with it (parent-death signal)."""
        if self._sock is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        if not self._ready.done():
            self._ready.set_exception(LaunchFailed("the fork-server stopped"))
            self._ready.exception()  # retrieved: nobody may be waiting
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(LaunchFailed("the fork-server stopped"))
        self._pending.clear()
        children, self._children = self._children, {}
        for callback in children.values():
            callback(KILLED_STATUS)

    def _zygote_ended(self, status: int) -> None:
        self._lost()
        if not self._ended.done():
            self._ended.set_result(status)

    async def close(self, deadline_s: float = 5.0) -> None:
        """Stop the zygote (closing the socket ends it) and wait for it, then kill it."""
        self._lost()
        if not self.pid:
            return
        try:
            async with asyncio.timeout(deadline_s):
                await asyncio.shield(self._ended)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            await asyncio.shield(self._ended)
