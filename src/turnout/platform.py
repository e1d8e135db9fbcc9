"""The platform: builds every part, owns their background tasks, and closes them in order.

Start order: control (state) → pool (environments) → invoker → async queue →
background tasks in one TaskGroup. Stop order is the reverse; leaving
``running`` kills every environment.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import turnout.api.handlers  # noqa: F401  (importing registers every handler)
from turnout.clock import Clock, SystemClock
from turnout.control import Control
from turnout.errors import LambdaError
from turnout.events.outcome import InvokeOutcome
from turnout.events.queue import QueuedEvent
from turnout.events.service import AsyncInvocations
from turnout.invoke.admission import ConcurrencyLedger
from turnout.invoke.invoker import Invoker
from turnout.invoke.provisioning import Provisioner
from turnout.models import LATEST, Change, CodeOrConfigChanged, FunctionDeleted
from turnout.observe.logs import LogStore
from turnout.observe.metrics import Metrics
from turnout.pool.pool import Pool
from turnout.settings import Settings


@dataclass
class Platform:
    settings: Settings
    clock: Clock
    control: Control
    logs: LogStore
    metrics: Metrics
    ledger: ConcurrencyLedger
    pool: Pool
    invoker: Invoker
    events: AsyncInvocations
    provisioner: Provisioner

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, clock: Clock | None = None,
                      ) -> AsyncIterator[Platform]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        clock = clock or SystemClock()
        control = await Control.open(settings, clock)
        try:
            logs = LogStore(settings.data_dir)
            metrics = Metrics(clock)
            ledger = ConcurrencyLedger(settings.account_concurrency)
            async with Pool(settings, clock, logs) as pool:
                invoker = Invoker(settings, control.registry, control.code_dir, ledger, pool,
                                  metrics)
                events = AsyncInvocations(
                    settings, invoke=_event_runner(invoker),
                    config_for=control.event_invoke_config_for,
                    reserved_concurrency=_reserved_concurrency(control), metrics=metrics,
                    clock=clock)
                await events.open()
                try:
                    provisioner = Provisioner(control.registry, ledger, pool, invoker.spec_for)
                    platform = cls(settings, clock, control, logs, metrics, ledger, pool,
                                   invoker, events, provisioner)
                    unsubscribe = control.subscribe(platform.on_change)
                    unsubscribe_provisioner = control.subscribe(provisioner.on_change)
                    control.before_alias_switch(provisioner.prepare)
                    provisioner.load()
                    try:
                        async with asyncio.TaskGroup() as tasks:
                            consumer = tasks.create_task(events.run(), name="async-consumer")
                            provisioning = tasks.create_task(provisioner.run(),
                                                             name="provisioner")
                            try:
                                yield platform
                            finally:
                                consumer.cancel()
                                provisioning.cancel()
                    finally:
                        unsubscribe_provisioner()
                        unsubscribe()
                finally:
                    await events.close()
        finally:
            await control.close()

    def on_change(self, change: Change) -> None:
        """Keep environments in step with the control plane (called after each durable change)."""
        if isinstance(change, CodeOrConfigChanged):
            latest = self.control.registry.version(change.function_name, LATEST)
            if latest is not None:
                self.pool.retire(change.function_name,
                                 keep_revision=self.invoker.revision_of(latest), version=LATEST)
        elif isinstance(change, FunctionDeleted):
            self.pool.retire(change.function_name, version=change.version)
            if change.version is None:
                self.invoker.forget(change.function_name)
                self.metrics.forget_function(change.function_name)


def _event_runner(invoker: Invoker) -> Callable[[QueuedEvent], Awaitable[InvokeOutcome]]:
    async def run(event: QueuedEvent) -> InvokeOutcome:
        """One attempt of a queued event: routed when it runs, as AWS does."""
        try:
            resolved = invoker.resolve(event.function_name, event.qualifier)
            result = await invoker.run(resolved, event.payload, request_id=event.id)
        except LambdaError as error:
            return InvokeOutcome.from_error(error)
        return InvokeOutcome.from_result(result)

    return run


def _reserved_concurrency(control: Control) -> Callable[[str], int | None]:
    def reserved(function_name: str) -> int | None:
        record = control.registry.function(function_name)
        return record.reserved_concurrency if record is not None else None

    return reserved
