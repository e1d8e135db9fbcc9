"""The consumer: a dispatcher, worker tasks that run queued events, and a task that
empties the outbox.

The dispatcher claims as many due events as there are idle workers (leased, oldest
first, no more of one function than its reserved concurrency) and hands them over. A worker asks
the injected ``invoke`` to run its event (the same path as a synchronous call: routing,
admission, pool), applies the pure ``decide``, and stores outcome, next state and
destination records in one transaction. The dispatcher sleeps on the ``Clock`` until the
next event is due, a new event is enqueued, a worker becomes idle, or ``notify()`` is
called (the platform calls it when a function's concurrency frees up).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from turnout.arns import function_arn
from turnout.clock import Clock
from turnout.errors import IllegalTransition, InvalidParameterValue, LambdaError
from turnout.events.config import EventInvokeConfig
from turnout.events.delivery import Deliverer, EnqueueFunction
from turnout.events.metrics import AsyncMetric, EventMetrics, NoMetrics
from turnout.events.outbox import OutboxRecord, RecordKind
from turnout.events.outcome import InvokeOutcome, OutcomeKind
from turnout.events.queue import EventQueue, QueuedEvent
from turnout.events.records import (
    LastResponse,
    dead_letter_message,
    invocation_record,
)
from turnout.events.retry import Condition, Decision, RetryDelays, decide, discard_expired, expired
from turnout.events.sinks import render_dead_letter, render_record
from turnout.events.states import EventState

log = logging.getLogger(__name__)

Invoke = Callable[[QueuedEvent], Awaitable[InvokeOutcome]]
ConfigFor = Callable[[str, str | None], EventInvokeConfig]


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    workers: int = 4
    lease_seconds: float = 960.0  # longer than the longest function timeout (900 s)
    idle_poll_seconds: float = 0.25  # longest sleep without a due time or a wake-up
    delays: RetryDelays = field(default_factory=RetryDelays)


@dataclass(frozen=True, slots=True)
class Place:
    """Where this platform is: for the ARNs in records."""

    account: str
    region: str
    data_dir: Path


class Consumer:
    def __init__(self, queue: EventQueue, invoke: Invoke, config_for: ConfigFor, *,
                 place: Place, enqueue_function: EnqueueFunction, clock: Clock,
                 options: ConsumerOptions | None = None, metrics: EventMetrics | None = None,
                 reserved_concurrency: Callable[[str], int | None] | None = None,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self._queue = queue
        self._invoke = invoke
        self._config_for = config_for
        self._place = place
        self._clock = clock
        self._options = options or ConsumerOptions()
        self._metrics: EventMetrics = metrics or NoMetrics()
        self._reserved = reserved_concurrency
        self._running: Counter[str] = Counter()  # dispatched and not finished, per function
        self._new_id = new_id
        self._deliverer = Deliverer(queue.outbox, place.data_dir, enqueue_function, clock,
                                    self._metrics, self._options.delays)
        self._idle = self._options.workers
        self._inbox: asyncio.Queue[QueuedEvent] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._delivery_wake = asyncio.Event()
        queue.on_enqueue(self.notify)

    def notify(self) -> None:
        """Wake the dispatcher (a new event, or concurrency became free)."""
        self._wake.set()

    async def run(self) -> None:
        """Return stale leases, then dispatch, work and deliver until cancelled."""
        released = await self._queue.release_stale_leases(self._clock.now())
        if released:
            log.info("%d asynchronous events of a previous run returned to the queue", released)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._dispatch(), name="events-dispatcher")
            for index in range(self._options.workers):
                tasks.create_task(self._work(), name=f"events-worker-{index}")
            tasks.create_task(self._deliver(), name="events-outbox")

    async def _dispatch(self) -> None:
        options = self._options
        while True:
            self._wake.clear()
            claimed: list[QueuedEvent] = []
            if self._idle > 0:
                claimed = await self._queue.claim(
                    self._clock.now(), self._idle, options.lease_seconds,
                    None if self._reserved is None else self._free_for)
            for event in claimed:
                self._idle -= 1
                self._running[event.function_name] += 1
                self._inbox.put_nowait(event)
            if self._idle == 0:
                await self._wake.wait()  # a worker became idle
            elif not claimed:
                await self._sleep(self._wake, await self._queue.next_due())

    async def _work(self) -> None:
        while True:
            event = await self._inbox.get()
            try:
                await self.process(event)
            finally:
                self._idle += 1
                self._running[event.function_name] -= 1
                self._wake.set()

    def _free_for(self, function_name: str) -> int:
        """How many more events of a function to start now: its reserved concurrency minus
        those already running here. Zero reserved still lets one through at a time, so the
        event is throttled, backs off and expires by age as AWS's would."""
        assert self._reserved is not None
        reserved = self._reserved(function_name)
        if reserved is None:
            return self._idle
        return max(max(reserved, 1) - self._running[function_name], 0)

    async def _deliver(self) -> None:
        while True:
            self._delivery_wake.clear()
            await self._deliverer.deliver_due()
            await self._sleep(self._delivery_wake, await self._deliverer.next_due())

    async def _sleep(self, wake: asyncio.Event, due: float | None) -> None:
        """Sleep until ``due`` (capped by the idle poll) or until woken."""
        timeout = self._options.idle_poll_seconds
        if due is not None and due > self._clock.now():
            timeout = min(timeout, due - self._clock.now())
        if wake.is_set():
            return
        sleeper = asyncio.ensure_future(self._clock.sleep(timeout))
        waiter = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait((sleeper, waiter), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()
            await asyncio.gather(sleeper, waiter, return_exceptions=True)

    async def process(self, event: QueuedEvent) -> Decision:
        """One attempt at a claimed event, stored with its consequences."""
        config = self._config_for(event.function_name, event.qualifier)
        now = self._clock.now()
        outcome: InvokeOutcome | None = None
        if expired(event.received_at, now, config):
            decision = discard_expired()
        else:
            self._metrics.record(AsyncMetric.EVENT_AGE, event.function_name, event.qualifier,
                                 (now - event.received_at) * 1000.0)
            outcome = await self._attempt(event)
            attempts, backoffs = event.counts_after(outcome.kind)
            now = self._clock.now()
            decision = decide(outcome.kind, attempts, backoffs, config, event.received_at, now,
                              self._options.delays)
        records = self._records(event, outcome, decision, config, now)
        try:
            await self._queue.complete(event, outcome, decision, records, now)
        except IllegalTransition:
            log.exception("lost the lease of event %s; another consumer owns it", event.id)
            return decision
        if decision.state is EventState.FAILED:
            self._metrics.record(AsyncMetric.EVENTS_DROPPED, event.function_name,
                                 event.qualifier, 1.0)
        if records:
            self._delivery_wake.set()
        return decision

    async def _attempt(self, event: QueuedEvent) -> InvokeOutcome:
        try:
            return await self._invoke(event)
        except LambdaError as error:
            return InvokeOutcome.from_error(error)
        except Exception as error:  # a platform bug must not lose the event: retry it
            log.exception("asynchronous invocation of event %s failed", event.id)
            return InvokeOutcome(OutcomeKind.PLATFORM_ERROR, error_type=type(error).__name__,
                                 error_message=str(error))

    def _records(self, event: QueuedEvent, outcome: InvokeOutcome | None, decision: Decision,
                 config: EventInvokeConfig, now: float) -> list[OutboxRecord]:
        """The destination record and dead-letter message a final decision calls for."""
        if not decision.final or decision.condition is None:
            return []
        response = (LastResponse.of(outcome) if outcome else None) or event.response
        attempts, _ = event.counts_after(outcome.kind if outcome else None)
        wanted: list[tuple[str, RecordKind]] = []
        target = config.on_success if decision.condition is Condition.SUCCESS else (
            config.on_failure)
        if target:
            wanted.append((target, RecordKind.DESTINATION))
        if decision.state is EventState.FAILED and config.dead_letter_arn:
            wanted.append((config.dead_letter_arn, RecordKind.DEAD_LETTER))
        records = []
        for arn, kind in wanted:
            try:
                if kind is RecordKind.DESTINATION:
                    body = render_record(arn, invocation_record(
                        request_id=event.id,
                        function_arn=function_arn(self._place.region, self._place.account,
                                                  event.function_name,
                                                  event.qualifier or "$LATEST"),
                        condition=decision.condition, approximate_invoke_count=attempts,
                        request_payload=event.payload, response=response, timestamp=now,
                    ), message_id=self._new_id(), now=now)
                else:
                    last_status = outcome.status_code if outcome else event.last_status
                    last_error = outcome.error_message if outcome else event.last_error
                    body = render_dead_letter(arn, dead_letter_message(
                        request_id=event.id, request_payload=event.payload, response=response,
                        last_status=last_status, last_error=last_error,
                    ), message_id=self._new_id(), now=now)
            except InvalidParameterValue:
                metric = (AsyncMetric.DEAD_LETTER_ERRORS if kind is RecordKind.DEAD_LETTER
                          else AsyncMetric.DESTINATION_DELIVERY_FAILURES)
                self._metrics.record(metric, event.function_name, event.qualifier, 1.0)
                log.warning("cannot deliver to unsupported target %s", arn)
                continue
            records.append(OutboxRecord(arn, kind, body))
        return records
