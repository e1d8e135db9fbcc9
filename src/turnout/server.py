"""Serve the Lambda API on a socket we bind ourselves (so that ``--port 0`` works and
functions learn the real endpoint), with our httptools front end on uvloop."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import gc
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import uvloop

from turnout.api.app import LambdaApp
from turnout.api.extras import extra_routes
from turnout.api.http import serve_http
from turnout.api.spec import load_spec
from turnout.platform import Platform
from turnout.settings import Settings

log = logging.getLogger("turnout")
KEEP_ALIVE_S = 75.0
# With 64 invocations in flight, their coroutines, futures and dicts alone exceed the
# default young-generation threshold (700), so the collector ran every ~50 requests and
# promoted short-lived objects into older generations.
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Once started: keep start-up objects (the API model, state) out of the collector's
    scans, and collect young objects less often (cycles are still collected)."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def bind(settings: Settings) -> tuple[socket.socket, Settings]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock, dataclasses.replace(settings, port=sock.getsockname()[1])


def lock_data_dir(data_dir: Path) -> int:
    """Hold an exclusive lock on the data directory for this process's lifetime: a second
    Turnout on the same directory would take the first one's queued events as abandoned."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "turnout.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StartupError(
            f"another Turnout is already using the data directory {data_dir}") from None
    return fd


class StartupError(Exception):
    """Turnout cannot start; the message says why."""


async def serve(settings: Settings) -> None:
    lock_data_dir(settings.data_dir)
    try:
        sock, settings = bind(settings)
    except OSError as error:
        raise StartupError(f"cannot listen on {settings.host}:{settings.port}: "
                           f"{error.strerror}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Platform.running(settings) as platform:
        app = LambdaApp(platform, load_spec(), extra_routes())
        tune_gc()
        print(f"Turnout ready on {settings.endpoint} (data in {settings.data_dir})", flush=True)
        await serve_http(app.respond, sock, stop, KEEP_ALIVE_S)


def run(settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(settings))
    except KeyboardInterrupt:
        pass
    except StartupError as error:
        print(f"turnout: {error}", file=sys.stderr)
        return 1
    return 0
