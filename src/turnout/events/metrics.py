"""The metrics the asynchronous path reports, behind a small protocol.

Names and meanings follow https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
(asynchronous invocation metrics). The metrics module implements ``EventMetrics``;
``NoMetrics`` is the default when nothing is wired.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class AsyncMetric(StrEnum):
    EVENTS_RECEIVED = "AsyncEventsReceived"  # count, on every durable enqueue
    EVENT_AGE = "AsyncEventAge"  # milliseconds from enqueue to each invocation attempt
    EVENTS_DROPPED = "AsyncEventsDropped"  # count, events discarded without success
    DESTINATION_DELIVERY_FAILURES = "DestinationDeliveryFailures"  # count, per failed try
    DEAD_LETTER_ERRORS = "DeadLetterErrors"  # count, per failed try


class EventMetrics(Protocol):
    def record(self, metric: AsyncMetric, function_name: str, qualifier: str | None,
               value: float) -> None: ...


class NoMetrics:
    def record(self, metric: AsyncMetric, function_name: str, qualifier: str | None,
               value: float) -> None:
        return None
