"""The asynchronous path as the platform holds it: the queue, its consumer, and the
checks an ``InvocationType=Event`` request passes before it is accepted.

Wiring (the platform):

```python
events = AsyncInvocations(settings, invoke=..., config_for=..., reserved_concurrency=...)
await events.open()
tasks.create_task(events.run(), name="events")          # in the platform's TaskGroup
...
await events.accept(name, qualifier, payload, request_id)  # then answer 202
...
await events.close()                                     # after the task ended
```
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from turnout.clock import Clock, SystemClock
from turnout.errors import RequestTooLarge
from turnout.events.consumer import ConfigFor, Consumer, ConsumerOptions, Invoke, Place
from turnout.events.delivery import EnqueueFunction, EventEnqueuer
from turnout.events.metrics import EventMetrics
from turnout.events.queue import EventQueue
from turnout.events.retry import RetryDelays
from turnout.settings import Settings

# Invoke API reference: "For asynchronous invocations, the maximum payload size is 1 MB."
EVENT_PAYLOAD_LIMIT = 1_048_576
# InvokeAsync (deprecated): "The payload limit is 256KB."
INVOKE_ASYNC_PAYLOAD_LIMIT = 262_144


def check_event_payload(payload: bytes, limit: int = EVENT_PAYLOAD_LIMIT) -> None:
    """Reject a payload above the asynchronous limit as AWS does (HTTP 413,
    ``RequestEntityTooLargeException``: "473086 byte payload is too large for the Event
    invocation type (limit 262144 bytes)")."""
    if len(payload) > limit:
        raise RequestTooLarge(f"{len(payload)} byte payload is too large for the Event "
                              f"invocation type (limit {limit} bytes)")


class AsyncInvocations:
    def __init__(self, settings: Settings, invoke: Invoke, config_for: ConfigFor, *,
                 reserved_concurrency: Callable[[str], int | None] | None = None,
                 enqueue_function: EnqueueFunction | None = None,
                 metrics: EventMetrics | None = None, clock: Clock | None = None,
                 workers: int | None = None) -> None:
        """``enqueue_function`` delivers a record to a Lambda function destination; by
        default it queues the event without checking that the function exists."""
        self._clock = clock or SystemClock()
        self.queue = EventQueue.in_data_dir(settings.data_dir, metrics)
        options = ConsumerOptions(workers=workers or settings.async_consumers,
                                  delays=RetryDelays(scale=settings.async_retry_delay_scale))
        self.consumer = Consumer(
            self.queue, invoke, config_for,
            place=Place(settings.account_id, settings.region, settings.data_dir),
            enqueue_function=enqueue_function or EventEnqueuer(self.queue.enqueue, self._clock),
            clock=self._clock, options=options, metrics=metrics,
            reserved_concurrency=reserved_concurrency)

    async def open(self) -> None:
        await self.queue.open()

    async def close(self) -> None:
        await self.queue.close()

    async def run(self) -> None:
        """Return stale leases, then consume until cancelled."""
        await self.consumer.run()

    async def accept(self, function_name: str, qualifier: str | None, payload: bytes,
                     request_id: str | None = None, limit: int = EVENT_PAYLOAD_LIMIT) -> str:
        """Check and durably queue an event; returns its request id once committed."""
        check_event_payload(payload, limit)
        request_id = request_id or str(uuid.uuid4())
        await self.queue.enqueue(function_name, qualifier, payload, request_id,
                                 self._clock.now())
        return request_id

    def notify(self) -> None:
        """Concurrency became free: let waiting events start now."""
        self.consumer.notify()
