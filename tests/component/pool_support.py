"""Shared set-up for component tests with real worker processes."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from turnout.clock import SystemClock
from turnout.observe.logs import LogStore
from turnout.pool.pool import Pool
from turnout.pool.spec import EnvironmentSpec
from turnout.settings import Settings

HOST_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
T = TypeVar("T")


def function(root: Path, files: dict[str, str], *, name: str = "fn", revision: str = "r1",
             runtime: str = HOST_RUNTIME, handler: str = "index.handler", timeout_s: int = 3,
             memory_mb: int = 128, version: str = "$LATEST", executable: tuple[str, ...] = (),
             environment: dict[str, str] | None = None) -> EnvironmentSpec:
    """Write a function's code under ``root`` and describe it."""
    code = root / f"{name}-{version}-{revision}".replace("$", "")
    code.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        target = code / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
        if path in executable:
            target.chmod(0o755)
    return EnvironmentSpec(
        function_name=name, version=version,
        function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}", code_dir=code,
        code_sha256="sha", revision_id=revision, handler=handler, runtime=runtime,
        memory_mb=memory_mb, timeout_s=timeout_s, environment=environment or {})


@asynccontextmanager
async def running_pool(data_dir: Path, **overrides: Any) -> AsyncIterator[Pool]:
    settings = Settings(data_dir=data_dir, **overrides)
    async with Pool(settings, SystemClock(), LogStore(data_dir)) as pool:
        yield pool


def run(coroutine: Coroutine[Any, Any, T], deadline_s: float = 30.0) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(deadline_s):
            return await coroutine

    return asyncio.run(bounded())


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


async def until_gone(pids: list[int], deadline_s: float = 5.0) -> bool:
    async with asyncio.timeout(deadline_s):
        while any(alive(pid) for pid in pids):  # noqa: ASYNC110 - another process: poll
            await asyncio.sleep(0.02)
    return True


def pid_of(payload: bytes, log_tail: bytes = b"") -> int:
    import json

    document = json.loads(payload)
    assert "pid" in document, (payload, log_tail)
    return int(document["pid"])


__all__ = ["HOST_RUNTIME", "alive", "function", "os", "pid_of", "run", "running_pool",
           "until_gone"]
