"""The platform: builds every part, owns their background tasks, and closes them in order."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from turnout.clock import Clock, SystemClock
from turnout.settings import Settings


@dataclass
class Platform:
    settings: Settings
    clock: Clock

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, clock: Clock | None = None,
                      ) -> AsyncIterator[Platform]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        yield cls(settings=settings, clock=clock or SystemClock())
