"""The consumer end to end against a real queue file, with a FakeClock and a fake invoke."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from turnout.clock import FakeClock
from turnout.errors import ResourceNotFound, TooManyRequests
from turnout.events.config import EventInvokeConfig
from turnout.events.consumer import Consumer, ConsumerOptions, Place
from turnout.events.delivery import EnqueueFunction, EventEnqueuer
from turnout.events.metrics import AsyncMetric
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.queue import EventQueue, QueuedEvent
from turnout.events.sinks import read_sink
from turnout.events.states import EventState

ACCOUNT, REGION = "123456789012", "us-east-1"
FAILURES = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"
SUCCESSES = f"arn:aws:sns:{REGION}:{ACCOUNT}:successes"
DLQ = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"
HANDLER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:failure-handler"
ERROR = b'{"errorMessage": "always", "errorType": "Exception", "stackTrace": []}'


@dataclass
class Metrics:
    seen: list[tuple[AsyncMetric, str, float]] = field(default_factory=list)

    def record(self, metric: AsyncMetric, function_name: str, qualifier: str | None,
               value: float) -> None:
        self.seen.append((metric, function_name, value))

    def count(self, metric: AsyncMetric) -> int:
        return sum(1 for seen in self.seen if seen[0] is metric)


@dataclass
class World:
    queue: EventQueue
    clock: FakeClock
    metrics: Metrics
    calls: list[tuple[str, float, bytes]]  # (function, fake time, payload)

    async def drive(self, done: Callable[[], Awaitable[bool]], step: float = 1.0,
                    deadline: float = 20.0) -> None:
        """Move fake time in steps until ``done()``; fail after ``deadline`` real seconds."""
        limit = time.monotonic() + deadline
        while not await done():
            assert time.monotonic() < limit, "the consumer did not finish in time"
            await asyncio.sleep(0.002)
            self.clock.advance(step)

    async def settled(self, count: int) -> bool:
        counts = await self.queue.counts()
        return (counts[EventState.DONE] + counts[EventState.FAILED] >= count
                and not await self.queue.outbox.due(self.clock.now() + 1e9, 1))


Behaviour = Callable[[QueuedEvent, FakeClock], Awaitable[InvokeOutcome]]


@contextlib.asynccontextmanager
async def running(tmp_path: Path, behaviour: Behaviour,
                  configs: dict[str, EventInvokeConfig], workers: int = 4,
                  wrap_enqueue: Callable[[EnqueueFunction], EnqueueFunction] = lambda f: f,
                  ) -> AsyncIterator[World]:
    clock = FakeClock()
    metrics = Metrics()
    queue = EventQueue.in_data_dir(tmp_path, metrics)
    await queue.open()
    calls: list[tuple[str, float, bytes]] = []

    async def invoke(event: QueuedEvent) -> InvokeOutcome:
        calls.append((event.function_name, clock.now(), event.payload))
        return await behaviour(event, clock)

    consumer = Consumer(
        queue, invoke, lambda name, qualifier: configs.get(name, EventInvokeConfig()),
        place=Place(ACCOUNT, REGION, tmp_path),
        enqueue_function=wrap_enqueue(EventEnqueuer(queue.enqueue, clock)),
        clock=clock, options=ConsumerOptions(workers=workers), metrics=metrics)
    task = asyncio.create_task(consumer.run())
    try:
        yield World(queue, clock, metrics, calls)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await queue.close()


async def always_fails(event: QueuedEvent, clock: FakeClock) -> InvokeOutcome:
    if event.function_name == "failure-handler":
        return InvokeOutcome(OutcomeKind.SUCCESS, b"null", "$LATEST")
    return InvokeOutcome(OutcomeKind.FUNCTION_ERROR, ERROR, "$LATEST", "Unhandled")


def test_failing_function_runs_three_times_then_one_record_in_the_failure_sink(
        tmp_path: Path) -> None:
    config = EventInvokeConfig(maximum_retry_attempts=2, on_failure=FAILURES,
                               dead_letter_arn=DLQ)

    async def main() -> None:
        async with running(tmp_path, always_fails, {"broken": config}) as world:
            await world.queue.enqueue("broken", None, b'{"order": 7}', "req-1",
                                      world.clock.now())
            await world.drive(lambda: world.settled(1), step=5.0)
            times = [at for _, at, _ in world.calls]
            assert len(times) == 3
            assert 60 <= times[1] - times[0] <= 66  # "a one-minute wait"
            assert 120 <= times[2] - times[1] <= 126  # "two minutes"
            assert world.metrics.count(AsyncMetric.EVENTS_DROPPED) == 1
            assert world.metrics.count(AsyncMetric.EVENT_AGE) == 3

    asyncio.run(main())
    [message] = list(read_sink(tmp_path, FAILURES))
    record = orjson.loads(message["body"])
    assert record["requestContext"] == {
        "requestId": "req-1", "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
        "broken:$LATEST", "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "always"
    [dead] = list(read_sink(tmp_path, DLQ))
    assert dead["body"] == '{"order": 7}'
    assert dead["messageAttributes"]["RequestID"]["stringValue"] == "req-1"
    assert dead["messageAttributes"]["ErrorMessage"]["stringValue"] == "always"


def test_on_failure_function_destination_receives_the_record_as_an_async_event(
        tmp_path: Path) -> None:
    config = EventInvokeConfig(maximum_retry_attempts=2, on_failure=HANDLER_ARN)

    async def main() -> None:
        async with running(tmp_path, always_fails, {"broken": config}) as world:
            await world.queue.enqueue("broken", "live", b"{}", "req-2", world.clock.now())
            await world.drive(lambda: world.settled(2), step=5.0)
            handled = [payload for name, _, payload in world.calls
                       if name == "failure-handler"]
            assert len(handled) == 1
            record: dict[str, Any] = orjson.loads(handled[0])
            assert record["requestContext"]["condition"] == "RetriesExhausted"
            assert record["requestContext"]["approximateInvokeCount"] == 3
            assert record["requestContext"]["functionArn"].endswith(":function:broken:live")
            assert record["responsePayload"]["errorType"] == "Exception"
            assert len([name for name, _, _ in world.calls if name == "broken"]) == 3

    asyncio.run(main())


def test_success_goes_to_the_on_success_destination(tmp_path: Path) -> None:
    async def succeeds(event: QueuedEvent, clock: FakeClock) -> InvokeOutcome:
        return InvokeOutcome(OutcomeKind.SUCCESS, b'{"ok": true}', "3")

    async def main() -> None:
        config = EventInvokeConfig(on_success=SUCCESSES, on_failure=FAILURES)
        async with running(tmp_path, succeeds, {"fine": config}) as world:
            await world.queue.enqueue("fine", "live", b"[1]", "req-3", world.clock.now())
            await world.drive(lambda: world.settled(1))
            assert world.metrics.count(AsyncMetric.EVENTS_DROPPED) == 0

    asyncio.run(main())
    [message] = list(read_sink(tmp_path, SUCCESSES))
    record = orjson.loads(message["Message"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "3"}
    assert record["responsePayload"] == {"ok": True}
    assert list(read_sink(tmp_path, FAILURES)) == []


def test_throttled_events_wait_and_all_run(tmp_path: Path) -> None:
    """Reserved concurrency 1: events beyond it are throttled, put back, never dropped."""
    in_flight = 0
    throttles = 0

    async def one_at_a_time(event: QueuedEvent, clock: FakeClock) -> InvokeOutcome:
        nonlocal in_flight, throttles
        if in_flight >= 1:
            throttles += 1
            raise TooManyRequests("Rate Exceeded.",
                                  Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
        in_flight += 1
        try:
            await asyncio.sleep(0.001)
        finally:
            in_flight -= 1
        return InvokeOutcome(OutcomeKind.SUCCESS, b"null", "$LATEST")

    async def main() -> None:
        async with running(tmp_path, one_at_a_time, {}, workers=4) as world:
            for index in range(20):
                await world.queue.enqueue("slow", None, b"{}", f"r{index}", world.clock.now())
            await world.drive(lambda: world.settled(20), step=2.0)
            counts = await world.queue.counts()
            assert counts[EventState.DONE] == 20 and counts[EventState.FAILED] == 0
            done = await world.queue.list(state=EventState.DONE)
            assert all(event.attempts == 1 for event in done)
            assert world.metrics.count(AsyncMetric.EVENTS_DROPPED) == 0

    asyncio.run(main())
    assert throttles > 0


def test_events_throttled_past_their_maximum_age_are_discarded(tmp_path: Path) -> None:
    async def throttled(event: QueuedEvent, clock: FakeClock) -> InvokeOutcome:
        raise TooManyRequests("Rate Exceeded.")

    config = EventInvokeConfig(maximum_event_age_seconds=60, on_failure=FAILURES,
                               dead_letter_arn=DLQ)

    async def main() -> None:
        async with running(tmp_path, throttled, {"stuck": config}) as world:
            await world.queue.enqueue("stuck", None, b'{"n": 1}', "req-4", world.clock.now())
            await world.drive(lambda: world.settled(1), step=1.0)
            assert world.metrics.count(AsyncMetric.EVENTS_DROPPED) == 1

    asyncio.run(main())
    [message] = list(read_sink(tmp_path, FAILURES))
    record = orjson.loads(message["body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record
    [dead] = list(read_sink(tmp_path, DLQ))
    assert dead["messageAttributes"]["ErrorCode"]["stringValue"] == "429"


def test_a_failed_delivery_is_retried_and_counted(tmp_path: Path) -> None:
    tries = 0

    def flaky(real: EnqueueFunction) -> EnqueueFunction:
        async def enqueue(arn: str, payload: bytes) -> None:
            nonlocal tries
            tries += 1
            if tries == 1:
                raise ResourceNotFound(f"Function not found: {arn}")
            await real(arn, payload)

        return enqueue

    config = EventInvokeConfig(maximum_retry_attempts=0, on_failure=HANDLER_ARN)

    async def main() -> None:
        async with running(tmp_path, always_fails, {"broken": config},
                           wrap_enqueue=flaky) as world:
            await world.queue.enqueue("broken", None, b"{}", "req-5", world.clock.now())
            await world.drive(lambda: world.settled(2))
            assert world.metrics.count(AsyncMetric.DESTINATION_DELIVERY_FAILURES) == 1
            assert [name for name, _, _ in world.calls] == ["broken", "failure-handler"]

    asyncio.run(main())
    assert tries == 2
