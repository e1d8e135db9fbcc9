"""Platform settings: command-line options, each also settable as ``TURNOUT_<NAME>``.

Defaults need nothing installed or started: state goes under ``./.turnout``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9001
    data_dir: Path = Path(".turnout")
    account_id: str = "000000000000"
    region: str = "us-east-1"
    # Concurrency (AWS default account limit is 1000 concurrent executions).
    account_concurrency: int = 1000
    # Execution environments.
    keep_alive_seconds: float = 300.0
    max_environments: int = 64
    max_parallel_cold_starts: int = 8
    use_zygote: bool = True
    # While exactly one invocation runs, the event loop polls instead of sleeping for up to
    # this long after handing it over (0: never); see Pool._poll_while_waiting.
    wait_poll_us: int = 500
    # auto: the event loop gets a CPU of its own while it is busy (see pool/placement.py).
    cpu_placement: str = "off"
    # Asynchronous invocation: multiply AWS's retry delays (1.0 = AWS's ~1 and ~2 minutes).
    async_retry_delay_scale: float = 1.0
    async_consumers: int = 32

    def __post_init__(self) -> None:
        # Absolute from the start: environments run in their code directory, and the paths
        # they are given (LAMBDA_TASK_ROOT, the handler's module) must not depend on a cwd.
        object.__setattr__(self, "data_dir", self.data_dir.absolute())

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


CHOICES = {"cpu_placement": ("auto", "on", "off")}


def _coerce(kind: object, text: str) -> object:
    if kind in ("bool", bool):
        return text.strip().lower() in {"1", "true", "yes", "on"}
    if kind in ("int", int):
        return int(text)
    if kind in ("float", float):
        return float(text)
    if kind in ("Path", Path):
        return Path(text)
    return text


def settings_from(argv: list[str] | None = None, environ: Mapping[str, str] | None = None,
                  ) -> Settings:
    """Build settings from ``TURNOUT_*`` variables, overridden by command-line options.

    A value of the wrong kind ends the command with a usage error naming it.
    """
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="turnout serve", add_help=True)
    for field in fields(Settings):
        parser.add_argument("--" + field.name.replace("_", "-"), dest=field.name, default=None,
                            help=f"default {field.default}; env TURNOUT_{field.name.upper()}")
    parsed = parser.parse_args(argv or [])
    values: dict[str, object] = {}
    for field in fields(Settings):
        given = getattr(parsed, field.name)
        source = f"--{field.name.replace('_', '-')}"
        if given is None:
            given = environ.get("TURNOUT_" + field.name.upper())
            source = "TURNOUT_" + field.name.upper()
        if given is None:
            continue
        try:
            values[field.name] = _coerce(field.type, given)
        except ValueError:
            parser.error(f"{source}: {given!r} is not a valid {field.type}")
        allowed = CHOICES.get(field.name)
        if allowed is not None and given not in allowed:
            parser.error(f"{source}: {given!r} is not one of {', '.join(allowed)}")
    return Settings(**values)  # type: ignore[arg-type]
