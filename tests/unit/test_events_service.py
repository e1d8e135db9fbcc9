from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from turnout.clock import FakeClock
from turnout.errors import RequestTooLarge
from turnout.events.config import EventInvokeConfig
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.queue import QueuedEvent
from turnout.events.service import (
    EVENT_PAYLOAD_LIMIT,
    INVOKE_ASYNC_PAYLOAD_LIMIT,
    AsyncInvocations,
    check_event_payload,
)
from turnout.events.states import EventState
from turnout.settings import Settings


@pytest.mark.parametrize(("size", "limit", "accepted"), [
    (EVENT_PAYLOAD_LIMIT, EVENT_PAYLOAD_LIMIT, True),
    (EVENT_PAYLOAD_LIMIT + 1, EVENT_PAYLOAD_LIMIT, False),
    (INVOKE_ASYNC_PAYLOAD_LIMIT, INVOKE_ASYNC_PAYLOAD_LIMIT, True),
    (INVOKE_ASYNC_PAYLOAD_LIMIT + 1, INVOKE_ASYNC_PAYLOAD_LIMIT, False),
])
def test_payload_limits(size: int, limit: int, accepted: bool) -> None:
    if accepted:
        check_event_payload(b"x" * size, limit)
    else:
        expected = f"{size} byte payload is too large for the Event invocation type"
        with pytest.raises(RequestTooLarge, match=expected):
            check_event_payload(b"x" * size, limit)


def test_accept_queues_durably_and_rejects_oversized(tmp_path: Path) -> None:
    async def invoke(event: QueuedEvent) -> InvokeOutcome:
        return InvokeOutcome(OutcomeKind.SUCCESS)

    async def main() -> None:
        settings = replace(Settings(), data_dir=tmp_path)
        events = AsyncInvocations(settings, invoke, lambda n, q: EventInvokeConfig(),
                                  clock=FakeClock())
        await events.open()
        try:
            request_id = await events.accept("orders", None, b"{}")
            with pytest.raises(RequestTooLarge):
                await events.accept("orders", None, b"x" * (EVENT_PAYLOAD_LIMIT + 1))
            event = await events.queue.get(request_id)
            assert event is not None and event.state is EventState.QUEUED
            assert (await events.queue.counts())[EventState.QUEUED] == 1
        finally:
            await events.close()

    asyncio.run(main())
