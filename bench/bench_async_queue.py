"""Asynchronous queue benchmark: durable enqueue acknowledgements per second, and the
drain rate of the consumer with an instant ``invoke`` (the queue's own ceiling; the
end-to-end drain through real workers is measured once the Invoke path is wired).

Every enqueue returns only after its transaction committed (WAL, synchronous=FULL);
concurrent enqueues share commits. Loops are bounded in count and in time.

    .venv/bin/python -m bench.bench_async_queue [--events N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from turnout.clock import SystemClock
from turnout.events.config import EventInvokeConfig
from turnout.events.consumer import Consumer, ConsumerOptions, Place
from turnout.events.delivery import EventEnqueuer
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.queue import EventQueue, QueuedEvent
from turnout.events.states import EventState

TIME_LIMIT = 60.0


async def enqueue_rate(queue: EventQueue, events: int, concurrency: int) -> float:
    """Acknowledged enqueues per second with ``concurrency`` producers."""
    deadline = time.monotonic() + TIME_LIMIT
    payload = b'{"order": 12345, "items": ["a", "b", "c"]}'
    done = 0

    async def producer(index: int) -> None:
        nonlocal done
        for n in range(index, events, concurrency):
            if time.monotonic() > deadline:
                return
            await queue.enqueue("bench", None, payload, f"r{n:08d}", time.time())
            done += 1

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        for index in range(concurrency):
            tasks.create_task(producer(index))
    return done / (time.perf_counter() - started)


async def drain_rate(queue: EventQueue, data_dir: Path, events: int, workers: int) -> float:
    """Events run per second with an instant invoke (each also stored as DONE)."""
    clock = SystemClock()
    ran = 0
    all_ran = asyncio.Event()

    async def instant(event: QueuedEvent) -> InvokeOutcome:
        nonlocal ran
        ran += 1
        if ran >= events:
            all_ran.set()
        return InvokeOutcome(OutcomeKind.SUCCESS, b"null", "$LATEST")

    consumer = Consumer(queue, instant, lambda name, qualifier: EventInvokeConfig(),
                        place=Place("000000000000", "us-east-1", data_dir),
                        enqueue_function=EventEnqueuer(queue.enqueue, clock), clock=clock,
                        options=ConsumerOptions(workers=workers))
    started = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_ran.wait(), TIME_LIMIT)
        elapsed = time.perf_counter() - started
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return ran / elapsed


async def main(events: int, concurrency: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        queue = EventQueue.in_data_dir(data_dir)
        await queue.open()
        try:
            acks = await enqueue_rate(queue, events, concurrency)
            print(f"enqueue: {acks:,.0f} durable acks/s ({events} events, "
                  f"{concurrency} concurrent producers)")
            queued = (await queue.counts())[EventState.QUEUED]
            drained = await drain_rate(queue, data_dir, queued, workers)
            print(f"drain:   {drained:,.0f} events/s ({queued} events, {workers} workers, "
                  "instant invoke)")
        finally:
            await queue.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--workers", type=int, default=16)
    options = parser.parse_args()
    asyncio.run(main(options.events, options.concurrency, options.workers))
