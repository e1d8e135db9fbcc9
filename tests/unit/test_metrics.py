"""Per-version metrics: minute windows, quantiles, Prometheus text, bounded memory."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from turnout.clock import FakeClock
from turnout.errors import InvalidParameterValue
from turnout.observe.metrics import Metrics, Series
from turnout.observe.sketch import ALPHA, Sketch

START = 1_700_000_100.0  # a five-minute boundary
LIVE_3 = Series("orders", "orders:live", "3")
LIVE_4 = Series("orders", "orders:live", "4")
PLAIN = Series("orders", "orders", "$LATEST")


def _metrics() -> tuple[Metrics, FakeClock]:
    clock = FakeClock(start=START)
    return Metrics(clock), clock


def _invoke(metrics: Metrics, series: Series, duration_ms: float = 10.0, error: bool = False,
            init_ms: float | None = None) -> None:
    metrics.started(series)
    metrics.finished(series, duration_ms=duration_ms, error=error, init_duration_ms=init_ms)


def _windows(result: dict, resource: str, version: str) -> list[dict]:  # type: ignore[type-arg]
    for series in result["Series"]:
        if (series["Resource"], series["ExecutedVersion"]) == (resource, version):
            return series["Windows"]  # type: ignore[no-any-return]
    raise AssertionError(f"no series {resource} {version}")


def test_counts_per_version_and_minute() -> None:
    metrics, clock = _metrics()
    for _ in range(7):
        _invoke(metrics, LIVE_3)
    _invoke(metrics, LIVE_4, error=True, init_ms=120.0)
    metrics.throttled(LIVE_4)
    clock.advance(60)
    _invoke(metrics, LIVE_3)
    result = metrics.query("orders", since=START, until=START + 120)
    assert result["Period"] == 60
    v3 = _windows(result, "orders:live", "3")
    v4 = _windows(result, "orders:live", "4")
    assert [w["Timestamp"] for w in v3] == [START, START + 60]
    assert [w["Invocations"] for w in v3] == [7, 1]
    assert [(w["Invocations"], w["Errors"], w["Throttles"], w["ColdStarts"]) for w in v4] == [
        (1, 1, 1, 1), (0, 0, 0, 0)]
    assert v4[0]["InitDuration"]["Maximum"] == 120.0
    assert v4[1]["Duration"] is None


def test_period_merges_minutes_and_resource_filters() -> None:
    metrics, clock = _metrics()
    for minute in range(5):
        _invoke(metrics, LIVE_3, duration_ms=10.0 * (minute + 1))
        _invoke(metrics, PLAIN)
        clock.advance(60)
    result = metrics.query("orders", resource="orders:live", since=START, until=START + 300,
                           period=300)
    assert [s["Resource"] for s in result["Series"]] == ["orders:live"]
    (window,) = result["Series"][0]["Windows"]
    assert window["Invocations"] == 5
    assert window["Duration"]["Maximum"] == 50.0
    assert window["Duration"]["Average"] == pytest.approx(30.0)
    assert metrics.query("billing")["Series"] == []


@pytest.mark.parametrize("period", [0, -60, 30, 90])
def test_period_must_be_whole_minutes(period: int) -> None:
    metrics, _ = _metrics()
    with pytest.raises(InvalidParameterValue):
        metrics.query("orders", period=period)


def test_duration_quantiles() -> None:
    metrics, _ = _metrics()
    for ms in range(1, 1001):
        _invoke(metrics, LIVE_3, duration_ms=float(ms))
    (window,) = metrics.query("orders", since=START, until=START + 60)["Series"][0]["Windows"]
    duration = window["Duration"]
    assert duration["Average"] == pytest.approx(500.5)
    assert duration["Maximum"] == 1000.0
    assert duration["SampleCount"] == 1000
    for name, exact in (("p50", 500.0), ("p90", 900.0), ("p99", 990.0)):
        assert duration[name] == pytest.approx(exact, rel=2 * ALPHA)


def test_concurrency_is_the_maximum_in_the_window() -> None:
    metrics, clock = _metrics()
    for _ in range(3):
        metrics.started(LIVE_3)
    for _ in range(3):
        metrics.finished(LIVE_3, duration_ms=5.0, error=False)
    metrics.started(LIVE_3)  # still running when the minute turns
    clock.advance(60)
    metrics.throttled(LIVE_3)
    result = metrics.query("orders", since=START, until=START + 120)
    assert [w["ConcurrentExecutions"] for w in _windows(result, "orders:live", "3")] == [3, 1]


def test_provisioned_concurrency_figures() -> None:
    metrics, _ = _metrics()
    metrics.started(LIVE_3, provisioned=True, provisioned_slots=4)
    metrics.started(LIVE_3, provisioned=True)
    metrics.started(LIVE_3, spillover=True)
    (window,) = _windows(metrics.query("orders", since=START, until=START + 60),
                         "orders:live", "3")
    assert window["ProvisionedConcurrentExecutions"] == 2
    assert window["ProvisionedConcurrencyUtilization"] == 0.5
    assert window["ProvisionedConcurrencySpilloverInvocations"] == 1
    assert window["ConcurrentExecutions"] == 3
    metrics.finished(LIVE_3, duration_ms=1.0, error=False, provisioned=True)
    (window,) = _windows(metrics.query("orders", since=START, until=START + 60),
                         "orders:live", "3")
    assert window["ProvisionedConcurrencyInvocations"] == 1
    assert 'turnout_provisioned_concurrent_executions{function_name="orders",' \
           'resource="orders:live",executed_version="3"} 1' in metrics.render_prometheus()


def test_async_counters_and_event_age() -> None:
    metrics, _ = _metrics()
    series = Series("orders", "orders", "$LATEST")
    metrics.async_received(series)
    metrics.async_received(series)
    metrics.async_event_age(series, 2500.0)
    metrics.async_dropped(series)
    metrics.destination_delivery_failed(series)
    metrics.dead_letter_error(series)
    (window,) = _windows(metrics.query("orders", since=START, until=START + 60),
                         "orders", "$LATEST")
    assert (window["AsyncEventsReceived"], window["AsyncEventsDropped"],
            window["DestinationDeliveryFailures"], window["DeadLetterErrors"]) == (2, 1, 1, 1)
    assert window["AsyncEventAge"]["Maximum"] == 2500.0


def test_memory_is_bounded_to_the_retention() -> None:
    clock = FakeClock(start=START)
    metrics = Metrics(clock, retention_minutes=10)
    for _ in range(25):
        _invoke(metrics, LIVE_3)
        clock.advance(60)
    _invoke(metrics, LIVE_3)
    state = metrics._series[LIVE_3]
    assert len(state.minutes) == 10
    windows = metrics.query("orders", since=0)["Series"][0]["Windows"]
    assert len(windows) == 10
    assert sum(w["Invocations"] for w in windows) == 10
    # the counters for Prometheus stay cumulative
    assert 'turnout_invocations_total{function_name="orders",resource="orders:live",' \
           'executed_version="3"} 26' in metrics.render_prometheus()


def test_forget_function() -> None:
    metrics, _ = _metrics()
    _invoke(metrics, LIVE_3)
    _invoke(metrics, Series("billing", "billing", "$LATEST"))
    metrics.forget_function("orders")
    assert [s.function_name for s in metrics.series()] == ["billing"]


_SAMPLE = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>.*)\} (?P<value>\S+)$')


def test_prometheus_exposition() -> None:
    metrics, _ = _metrics()
    _invoke(metrics, LIVE_3, duration_ms=3.0)
    _invoke(metrics, LIVE_3, duration_ms=700.0, error=True, init_ms=250.0)
    odd = Series('we"ird', "we\"ird:a\\b", "1\n")
    _invoke(metrics, odd)
    text = metrics.render_prometheus()
    assert text.endswith("\n")
    samples: dict[tuple[str, str], float] = {}
    families: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            families[name] = kind
            continue
        if line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, line
        samples[(match["name"], match["labels"])] = float(match["value"])
    assert all(name.startswith("turnout_") for name in families)
    assert all(name.endswith("_total") for name, kind in families.items() if kind == "counter")
    assert families["turnout_duration_seconds"] == "histogram"
    live = 'function_name="orders",resource="orders:live",executed_version="3"'
    assert samples[("turnout_invocations_total", live)] == 2
    assert samples[("turnout_errors_total", live)] == 1
    assert samples[("turnout_cold_starts_total", live)] == 1
    assert samples[("turnout_duration_seconds_count", live)] == 2
    assert samples[("turnout_duration_seconds_sum", live)] == pytest.approx(0.703)
    assert samples[("turnout_duration_seconds_bucket", live + ',le="0.005"')] == 1
    assert samples[("turnout_duration_seconds_bucket", live + ',le="0.5"')] == 1
    assert samples[("turnout_duration_seconds_bucket", live + ',le="1"')] == 2
    assert samples[("turnout_duration_seconds_bucket", live + ',le="+Inf"')] == 2
    escaped = 'function_name="we\\"ird",resource="we\\"ird:a\\\\b",executed_version="1\\n"'
    assert samples[("turnout_invocations_total", escaped)] == 1


@given(values=st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=300),
       q=st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]))
def test_sketch_quantiles_are_within_relative_error(values: list[float], q: float) -> None:
    sketch = Sketch()
    for value in values:
        sketch.add(value)
    exact = sorted(values)[int(q * (len(values) - 1))]
    estimate = sketch.quantile(q)
    assert estimate is not None
    if exact <= 1e-3:
        assert estimate <= 1e-3 * (1 + ALPHA)
    else:
        assert abs(estimate - exact) <= ALPHA * exact * 1.0001
    assert sketch.maximum == max(values)


@given(left=st.lists(st.floats(min_value=0.01, max_value=1e5), max_size=50),
       right=st.lists(st.floats(min_value=0.01, max_value=1e5), max_size=50))
def test_sketch_merge_equals_one_sketch(left: list[float], right: list[float]) -> None:
    merged, a, b = Sketch(), Sketch(), Sketch()
    for value in left:
        a.add(value)
        merged.add(value)
    for value in right:
        b.add(value)
        merged.add(value)
    a.merge(b)
    assert (a.bins, a.count, a.maximum, a.zeros) == (merged.bins, merged.count, merged.maximum,
                                                      merged.zeros)
    assert a.quantile(0.5) == merged.quantile(0.5)
