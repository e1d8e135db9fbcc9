"""kill -9 safety: acknowledged events survive the death of the process that queued them,
and the leases it held come back at the next start."""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from turnout.clock import FakeClock
from turnout.errors import TooManyRequests
from turnout.events.config import EventInvokeConfig
from turnout.events.consumer import Consumer, ConsumerOptions, Place
from turnout.events.delivery import EventEnqueuer
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.queue import EventQueue, QueuedEvent
from turnout.events.states import EventState

SRC = Path(__file__).resolve().parents[2] / "src"
EVENTS = 1000
LEASED = 10

CHILD = f"""
import asyncio, sys
from pathlib import Path
from turnout.events.queue import EventQueue

async def main():
    queue = EventQueue.in_data_dir(Path(sys.argv[1]))
    await queue.open()
    await asyncio.gather(*(
        queue.enqueue("slow", None, b'{{"n": %d}}' % n, f"r{{n:04d}}", 1000.0 + n)
        for n in range({EVENTS})))
    leased = await queue.claim(5000.0, {LEASED}, 900.0)
    print(f"ACKED {EVENTS} LEASED {{len(leased)}}", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def _enqueue_then_get_killed(data_dir: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=30.0), "the child did not acknowledge in time"
        line = child.stdout.readline().decode().strip()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10.0)
    assert child.returncode == -signal.SIGKILL
    return line


@pytest.mark.component
def test_acknowledged_events_survive_kill_9_and_all_run_after_restart(tmp_path: Path) -> None:
    line = _enqueue_then_get_killed(tmp_path)
    assert line == f"ACKED {EVENTS} LEASED {LEASED}"

    async def restart() -> None:
        clock = FakeClock(start=6000.0)
        queue = EventQueue.in_data_dir(tmp_path)
        await queue.open()
        counts = await queue.counts()
        assert counts[EventState.QUEUED] == EVENTS - LEASED
        assert counts[EventState.RUNNING] == LEASED
        ran: list[bytes] = []
        in_flight = throttled = 0

        async def slow(event: QueuedEvent) -> InvokeOutcome:  # reserved concurrency 2
            nonlocal in_flight, throttled
            if in_flight >= 2:  # what admission would do
                throttled += 1
                raise TooManyRequests("Rate Exceeded.")
            in_flight += 1
            try:
                await asyncio.sleep(0)
                ran.append(event.payload)
            finally:
                in_flight -= 1
            return InvokeOutcome(OutcomeKind.SUCCESS, b"null", "$LATEST")

        consumer = Consumer(
            queue, slow, lambda name, qualifier: EventInvokeConfig(),
            place=Place("000000000000", "us-east-1", tmp_path),
            enqueue_function=EventEnqueuer(queue.enqueue, clock), clock=clock,
            options=ConsumerOptions(workers=4), reserved_concurrency=lambda name: 2)
        task = asyncio.create_task(consumer.run())
        deadline = time.monotonic() + 45.0
        try:
            while (await queue.counts())[EventState.DONE] < EVENTS:
                assert time.monotonic() < deadline, "the queue did not drain in time"
                await asyncio.sleep(0.01)
                clock.advance(0.5)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            counts = await queue.counts()
            await queue.close()
        assert counts[EventState.DONE] == EVENTS
        assert throttled == 0  # the consumer kept to the reserved concurrency by itself
        assert sorted(ran) == sorted(b'{"n": %d}' % n for n in range(EVENTS))

    asyncio.run(restart())
