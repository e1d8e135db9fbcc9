"""Delivering outbox rows: a Lambda function target gets an asynchronous invocation,
any other target a line in its sink file. Failures are retried with the same backoff as
throttles (1 s doubling to 5 minutes, scaled) and counted as ``DestinationDeliveryFailures``
or ``DeadLetterErrors``; after ``MAX_DELIVERY_ATTEMPTS`` the row is abandoned.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from turnout.arns import parse_function_name
from turnout.clock import Clock
from turnout.errors import LambdaError
from turnout.events.metrics import AsyncMetric, EventMetrics
from turnout.events.outbox import Outbox, OutboxEntry, RecordKind
from turnout.events.retry import RetryDelays
from turnout.events.sinks import TargetKind, append_line, sink_path, target_kind

log = logging.getLogger(__name__)

# (function ARN as configured, payload) → queue an asynchronous invocation of it.
EnqueueFunction = Callable[[str, bytes], Awaitable[None]]
BATCH = 100


class EventEnqueuer:
    """The queue-side half of an asynchronous invocation (what ``enqueue_function`` needs
    at its simplest): parse the ARN and store the event. The platform wraps this with its
    check that the function exists."""

    def __init__(self, enqueue: Callable[[str, str | None, bytes, str, float], Awaitable[None]],
                 clock: Clock, new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self._enqueue = enqueue
        self._clock = clock
        self._new_id = new_id

    async def __call__(self, arn: str, payload: bytes) -> None:
        ref = parse_function_name(arn)
        await self._enqueue(ref.name, ref.qualifier, payload, self._new_id(), self._clock.now())


class Deliverer:
    def __init__(self, outbox: Outbox, data_dir: Path, enqueue_function: EnqueueFunction,
                 clock: Clock, metrics: EventMetrics, delays: RetryDelays) -> None:
        self._outbox = outbox
        self._data_dir = data_dir
        self._enqueue_function = enqueue_function
        self._clock = clock
        self._metrics = metrics
        self._delays = delays

    async def deliver_due(self) -> int:
        """Try every due row once (in batches); return how many were tried."""
        tried = 0
        while True:
            entries = await self._outbox.due(self._clock.now(), BATCH)
            for entry in entries:
                await self._deliver(entry)
            tried += len(entries)
            if len(entries) < BATCH:
                return tried

    async def _deliver(self, entry: OutboxEntry) -> None:
        record = entry.record
        try:
            if target_kind(record.target_arn) is TargetKind.LAMBDA:
                await self._enqueue_function(record.target_arn, record.body)
            else:
                path = sink_path(self._data_dir, record.target_arn)
                await asyncio.to_thread(append_line, path, record.body)
        except (LambdaError, OSError) as error:
            metric = (AsyncMetric.DEAD_LETTER_ERRORS if record.kind is RecordKind.DEAD_LETTER
                      else AsyncMetric.DESTINATION_DELIVERY_FAILURES)
            self._metrics.record(metric, entry.function_name, entry.qualifier, 1.0)
            retry_at = self._clock.now() + self._delays.after_backoff(entry.attempts + 1)
            abandoned = await self._outbox.failed(entry, str(error), retry_at)
            log.warning("delivery of %s for event %s to %s failed%s: %s", record.kind,
                        entry.event_id, record.target_arn, " (abandoned)" if abandoned else "",
                        error)
            return
        await self._outbox.delivered(entry)

    async def next_due(self) -> float | None:
        return await self._outbox.next_due()
