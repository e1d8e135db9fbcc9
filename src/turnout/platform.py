"""The platform: builds every part, owns their background tasks, and closes them in order."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import turnout.api.handlers  # noqa: F401  (registers the control-plane handlers)
from turnout.clock import Clock, SystemClock
from turnout.control import Control
from turnout.settings import Settings


@dataclass
class Platform:
    settings: Settings
    clock: Clock
    control: Control

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, clock: Clock | None = None,
                      ) -> AsyncIterator[Platform]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        clock = clock or SystemClock()
        control = await Control.open(settings, clock)
        try:
            yield cls(settings=settings, clock=clock, control=control)
        finally:
            await control.close()
