"""Per-version invocation metrics in memory: recording, Prometheus text, windowed queries.

A *series* is (function name, resource, executed version), as CloudWatch's
``FunctionName``, ``Resource`` (``orders`` or ``orders:live``) and
``ExecutedVersion`` dimensions
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
Each series keeps cumulative totals (for Prometheus counters and
histograms) and one bucket per minute for the last ``retention_minutes``
(for ``query``), so memory is bounded by the number of series.

Recording runs on every invocation: a dict lookup, a few integer updates
and, for durations, a logarithm and a bisection.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from turnout.clock import Clock
from turnout.errors import InvalidParameterValue
from turnout.observe.sketch import Sketch

# Histogram upper bounds in seconds for the Prometheus exposition.
BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
             30.0, 60.0, 300.0, 900.0)

_COUNTERS = (
    # attribute, Prometheus name (without turnout_ and _total), CloudWatch name, help
    ("invocations", "invocations", "Invocations", "Invocations that ran (errors included)."),
    ("errors", "errors", "Errors", "Invocations that ended in a function error."),
    ("throttles", "throttles", "Throttles", "Invocation requests refused for concurrency."),
    ("cold_starts", "cold_starts", "ColdStarts", "Invocations that initialised an environment."),
    ("provisioned_invocations", "provisioned_concurrency_invocations",
     "ProvisionedConcurrencyInvocations", "Invocations that ran on provisioned concurrency."),
    ("spillovers", "provisioned_concurrency_spillover_invocations",
     "ProvisionedConcurrencySpilloverInvocations",
     "Invocations on on-demand concurrency while all provisioned slots were busy."),
    ("async_received", "async_events_received", "AsyncEventsReceived",
     "Events accepted for asynchronous invocation."),
    ("async_dropped", "async_events_dropped", "AsyncEventsDropped",
     "Asynchronous events dropped without running successfully."),
    ("destination_failures", "destination_delivery_failures", "DestinationDeliveryFailures",
     "Failed deliveries to an on-success or on-failure destination."),
    ("dead_letter_errors", "dead_letter_errors", "DeadLetterErrors",
     "Failed deliveries to a dead-letter queue."),
)


class Series(NamedTuple):
    """One metric series. Asynchronous counters recorded before a version is
    chosen (``AsyncEventsReceived``) use ``executed_version=""``."""

    function_name: str
    resource: str  # "orders" or "orders:live"
    executed_version: str


class _Counts:
    __slots__ = ("async_dropped", "async_received", "cold_starts", "dead_letter_errors",
                 "destination_failures", "errors", "invocations", "provisioned_invocations",
                 "spillovers", "throttles")

    def __init__(self) -> None:
        self.invocations = 0
        self.errors = 0
        self.throttles = 0
        self.cold_starts = 0
        self.provisioned_invocations = 0
        self.spillovers = 0
        self.async_received = 0
        self.async_dropped = 0
        self.destination_failures = 0
        self.dead_letter_errors = 0


class _Minute(_Counts):
    __slots__ = ("duration", "event_age", "init_duration", "max_concurrent", "max_provisioned",
                 "max_utilization", "minute")

    def __init__(self, minute: int, concurrent: int, provisioned: int, utilization: float) -> None:
        super().__init__()
        self.minute = minute
        self.duration = Sketch()
        self.init_duration = Sketch()
        self.event_age = Sketch()
        self.max_concurrent = concurrent
        self.max_provisioned = provisioned
        self.max_utilization = utilization


class _Histogram:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(BUCKETS_S) + 1)
        self.count = 0
        self.total = 0.0

    def add(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(BUCKETS_S, seconds)] += 1
        self.count += 1
        self.total += seconds


class _SeriesState:
    __slots__ = ("current", "duration", "event_age", "inflight", "inflight_provisioned",
                 "init_duration", "minutes", "provisioned_slots", "totals")

    def __init__(self) -> None:
        self.totals = _Counts()
        self.duration = _Histogram()
        self.init_duration = _Histogram()
        self.event_age = _Histogram()
        self.inflight = 0
        self.inflight_provisioned = 0
        self.provisioned_slots = 0
        self.minutes: deque[_Minute] = deque()
        self.current: _Minute | None = None

    @property
    def utilization(self) -> float:
        slots = self.provisioned_slots
        return min(1.0, self.inflight_provisioned / slots) if slots else 0.0


class Metrics:
    """In-memory metrics of every series; the event loop is the only writer."""

    def __init__(self, clock: Clock, retention_minutes: int = 60) -> None:
        self._clock = clock
        self._retention = retention_minutes
        self._series: dict[Series, _SeriesState] = {}

    # -- recording -----------------------------------------------------------

    def started(self, series: Series, *, provisioned: bool = False, spillover: bool = False,
                provisioned_slots: int | None = None) -> None:
        """An invocation began (after admission); ``provisioned``: on a provisioned slot."""
        state, minute = self._now(series)
        state.inflight += 1
        if provisioned_slots is not None:
            state.provisioned_slots = provisioned_slots
        if provisioned:
            state.inflight_provisioned += 1
            if state.inflight_provisioned > minute.max_provisioned:
                minute.max_provisioned = state.inflight_provisioned
            utilization = state.utilization
            if utilization > minute.max_utilization:
                minute.max_utilization = utilization
        if spillover:
            minute.spillovers += 1
            state.totals.spillovers += 1
        if state.inflight > minute.max_concurrent:
            minute.max_concurrent = state.inflight

    def finished(self, series: Series, *, duration_ms: float, error: bool,
                 provisioned: bool = False, init_duration_ms: float | None = None) -> None:
        """An invocation ended; ``init_duration_ms`` is set for a cold start."""
        state, minute = self._now(series)
        state.inflight -= 1
        totals = state.totals
        if provisioned:
            state.inflight_provisioned -= 1
            minute.provisioned_invocations += 1
            totals.provisioned_invocations += 1
        minute.invocations += 1
        totals.invocations += 1
        if error:
            minute.errors += 1
            totals.errors += 1
        minute.duration.add(duration_ms)
        state.duration.add(duration_ms / 1000.0)
        if init_duration_ms is not None:
            minute.cold_starts += 1
            totals.cold_starts += 1
            minute.init_duration.add(init_duration_ms)
            state.init_duration.add(init_duration_ms / 1000.0)

    def throttled(self, series: Series) -> None:
        self._count(series, "throttles")

    def async_received(self, series: Series) -> None:
        self._count(series, "async_received")

    def async_dropped(self, series: Series) -> None:
        self._count(series, "async_dropped")

    def destination_delivery_failed(self, series: Series) -> None:
        self._count(series, "destination_failures")

    def dead_letter_error(self, series: Series) -> None:
        self._count(series, "dead_letter_errors")

    def record(self, metric: str, function_name: str, qualifier: str | None,
               value: float) -> None:
        """The asynchronous path's metrics (``turnout.events.metrics.EventMetrics``), by
        CloudWatch name; the version is not known when an event is queued."""
        resource = f"{function_name}:{qualifier}" if qualifier else function_name
        series = Series(function_name, resource, "")
        if metric == "AsyncEventAge":
            self.async_event_age(series, value)
            return
        counter = {"AsyncEventsReceived": self.async_received,
                   "AsyncEventsDropped": self.async_dropped,
                   "DestinationDeliveryFailures": self.destination_delivery_failed,
                   "DeadLetterErrors": self.dead_letter_error}.get(metric)
        if counter is not None:
            counter(series)

    def async_event_age(self, series: Series, age_ms: float) -> None:
        """Time from queueing an event to starting its invocation (``AsyncEventAge``)."""
        state, minute = self._now(series)
        minute.event_age.add(age_ms)
        state.event_age.add(age_ms / 1000.0)

    def forget_function(self, function_name: str) -> None:
        """Drop every series of a deleted function."""
        for series in [s for s in self._series if s.function_name == function_name]:
            del self._series[series]

    def _count(self, series: Series, name: str) -> None:
        state, minute = self._now(series)
        setattr(minute, name, getattr(minute, name) + 1)
        setattr(state.totals, name, getattr(state.totals, name) + 1)

    def _now(self, series: Series) -> tuple[_SeriesState, _Minute]:
        state = self._series.get(series)
        if state is None:
            state = self._series[series] = _SeriesState()
        minute_no = int(self._clock.now() // 60)
        current = state.current
        if current is None or minute_no > current.minute:
            current = _Minute(minute_no, state.inflight, state.inflight_provisioned,
                              state.utilization)
            state.current = current
            minutes = state.minutes
            minutes.append(current)
            while minutes[0].minute <= minute_no - self._retention:
                minutes.popleft()
        return state, current

    # -- reading -------------------------------------------------------------

    def series(self) -> list[Series]:
        return sorted(self._series)

    def render_prometheus(self) -> str:
        """All series in the Prometheus text exposition format 0.0.4.

        Counters ``turnout_<name>_total``, gauges for what runs now, and
        histograms in seconds (``turnout_duration_seconds`` ...), labelled
        ``function_name``, ``resource`` and ``executed_version``.
        """
        items = sorted(self._series.items(), key=lambda item: item[0])
        labels = [(_labels(series), state) for series, state in items]
        lines: list[str] = []
        for attr, prom, _, text in _COUNTERS:
            name = f"turnout_{prom}_total"
            lines += [f"# HELP {name} {text}", f"# TYPE {name} counter"]
            lines += [f"{name}{{{label}}} {getattr(state.totals, attr)}" for label, state in labels]
        for name, text, gauge in _GAUGES:
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
            lines += [f"{name}{{{label}}} {gauge(state)}" for label, state in labels]
        for name, text, attr in _HISTOGRAMS:
            lines += [f"# HELP {name} {text}", f"# TYPE {name} histogram"]
            for label, state in labels:
                histogram: _Histogram = getattr(state, attr)
                cumulative = 0
                for bound, n in zip(_BOUND_TEXT, histogram.buckets, strict=True):
                    cumulative += n
                    lines.append(f'{name}_bucket{{{label},le="{bound}"}} {cumulative}')
                lines.append(f"{name}_sum{{{label}}} {histogram.total!r}")
                lines.append(f"{name}_count{{{label}}} {histogram.count}")
        return "\n".join(lines) + "\n"

    def query(self, function_name: str, resource: str | None = None, since: float | None = None,
              until: float | None = None, period: int = 60, now: float | None = None,
              ) -> dict[str, Any]:
        """Per-``period`` windows of every matching series, as JSON-able data.

        ``since``/``until`` are epoch seconds; windows start at multiples of
        ``period`` (a multiple of 60 seconds, as in CloudWatch) and ``until`` is
        exclusive. By default: everything retained, up to the window in progress.
        """
        if period <= 0 or period % 60:
            raise InvalidParameterValue("Period must be a positive multiple of 60 seconds.")
        now = self._clock.now() if now is None else now
        if until is None:  # up to and including the window that holds ``now``
            stop = (int(now // period) + 1) * period
        else:
            stop = -(-int(until) // period) * period
        earliest = (int(now // 60) - self._retention + 1) * 60
        since = max(earliest, stop - self._retention * 60 if since is None else since)
        start = min(int(since // period) * period, stop)
        out = []
        for series in sorted(self._series):
            if series.function_name != function_name:
                continue
            if resource is not None and series.resource != resource:
                continue
            minutes = [m for m in self._series[series].minutes if start <= m.minute * 60 < stop]
            if not minutes:
                continue
            out.append({
                "Resource": series.resource,
                "ExecutedVersion": series.executed_version,
                "Windows": _windows(minutes, start, stop, period),
            })
        return {"FunctionName": function_name, "Period": period, "StartTime": start,
                "EndTime": stop, "Series": out}


_BOUND_TEXT = (*(format(bound, "g") for bound in BUCKETS_S), "+Inf")

# int | float keeps the integer gauges integers (a mypyc build would make them floats).
_GAUGES: tuple[tuple[str, str, Callable[[_SeriesState], int | float]], ...] = (
    ("turnout_concurrent_executions", "Invocations running now.", lambda s: s.inflight),
    ("turnout_provisioned_concurrent_executions", "Invocations running on provisioned slots now.",
     lambda s: s.inflight_provisioned),
    ("turnout_provisioned_concurrency_utilization",
     "Busy share of the provisioned slots now (0..1).", lambda s: s.utilization),
)

_HISTOGRAMS = (
    ("turnout_duration_seconds", "Time in the function handler.", "duration"),
    ("turnout_init_duration_seconds", "Init phase of cold starts.", "init_duration"),
    ("turnout_async_event_age_seconds", "Time from queueing an event to running it.",
     "event_age"),
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(series: Series) -> str:
    return (f'function_name="{_escape(series.function_name)}",'
            f'resource="{_escape(series.resource)}",'
            f'executed_version="{_escape(series.executed_version)}"')


def _windows(minutes: list[_Minute], start: int, stop: int, period: int) -> list[dict[str, Any]]:
    windows: list[dict[str, Any]] = []
    index = 0
    for window_start in range(start, stop, period):
        merged = _Minute(window_start // 60, 0, 0, 0.0)
        while index < len(minutes) and minutes[index].minute * 60 < window_start + period:
            _merge(merged, minutes[index])
            index += 1
        windows.append(_window_record(window_start, merged))
    return windows


def _merge(into: _Minute, minute: _Minute) -> None:
    for name, *_ in _COUNTERS:
        setattr(into, name, getattr(into, name) + getattr(minute, name))
    into.duration.merge(minute.duration)
    into.init_duration.merge(minute.init_duration)
    into.event_age.merge(minute.event_age)
    into.max_concurrent = max(into.max_concurrent, minute.max_concurrent)
    into.max_provisioned = max(into.max_provisioned, minute.max_provisioned)
    into.max_utilization = max(into.max_utilization, minute.max_utilization)


def _summary(sketch: Sketch) -> dict[str, float | None] | None:
    if not sketch.count:
        return None
    return {"Average": sketch.average, "p50": sketch.quantile(0.5),
            "p90": sketch.quantile(0.9), "p99": sketch.quantile(0.99),
            "Maximum": sketch.maximum, "SampleCount": sketch.count}


def _window_record(window_start: int, merged: _Minute) -> dict[str, Any]:
    record: dict[str, Any] = {"Timestamp": window_start}
    for name, _, cloudwatch, _ in _COUNTERS:
        record[cloudwatch] = getattr(merged, name)
    record["Duration"] = _summary(merged.duration)
    record["InitDuration"] = _summary(merged.init_duration)
    record["AsyncEventAge"] = _summary(merged.event_age)
    record["ConcurrentExecutions"] = merged.max_concurrent
    record["ProvisionedConcurrentExecutions"] = merged.max_provisioned
    record["ProvisionedConcurrencyUtilization"] = merged.max_utilization
    return record
