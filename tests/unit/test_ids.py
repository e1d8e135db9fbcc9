import re

import pytest

from turnout.ids import trace_header

TRACE = re.compile(r"Root=1-([0-9a-f]{8})-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")


@pytest.mark.parametrize(("epoch_s", "hex_time"), [
    (0.0, "00000000"),
    (1_700_000_000.9, "6553f100"),
])
def test_trace_headers_carry_the_epoch_and_random_ids(epoch_s: float, hex_time: str) -> None:
    headers = {trace_header(epoch_s) for _ in range(1000)}
    assert len(headers) == 1000
    for header in headers:
        matched = TRACE.fullmatch(header)
        assert matched is not None, header
        assert matched.group(1) == hex_time
