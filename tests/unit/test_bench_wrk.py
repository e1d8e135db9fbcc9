"""Reading wrk's figures (the benchmark's throughput depends on it)."""

from __future__ import annotations

import pytest

from bench.wrk import parse

OUTPUT = """Running 5s test @ http://127.0.0.1:9001/2015-03-31/functions/hello/invocations
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.75ms    2.49ms  36.41ms   79.04%
    Req/Sec     4.85k   312.22     5.30k    80.00%
  Latency Distribution
     50%   12.42ms
     75%   13.52ms
     90%   15.38ms
     99%    1.02s
  24132 requests in 5.01s, 4.93MB read
{extra}Requests/sec:   4826.43
Transfer/sec:      0.99MB
"""


@pytest.mark.parametrize(("extra", "errors"), [
    ("", 0),
    ("  Non-2xx or 3xx responses: 7\n", 7),
    ("  Socket errors: connect 0, read 2, write 0, timeout 3\n", 5),
])
def test_wrk_output_gives_requests_errors_and_percentiles(extra: str, errors: int) -> None:
    result = parse(OUTPUT.format(extra=extra))
    assert (result.requests, result.errors) == (24132, errors)
    assert result.per_second == pytest.approx(24132 / 5.01)
    assert (result.p50_ms, result.p99_ms) == (pytest.approx(12.42), pytest.approx(1020.0))
