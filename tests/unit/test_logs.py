"""Log lines in Lambda's format, and the on-disk store with offsets for following."""

from __future__ import annotations

from pathlib import Path

import pytest

from turnout.observe.logs import (
    LogStore,
    billed_duration_ms,
    invocation_record,
    tail,
    timeout_line,
    timestamp,
)


def test_a_record_frames_the_output_with_start_and_end() -> None:
    record = invocation_record("r-1", "$LATEST", b"hello\n", 1.0, 128, 40).decode()
    assert record.startswith("START RequestId: r-1 Version: $LATEST\nhello\nEND RequestId: r-1\n"
                             "REPORT RequestId: r-1\t")


@pytest.mark.parametrize(("duration", "billed"), [
    (0.01, 1), (1.0, 1), (1.01, 2), (2.5, 3), (999.2, 1000),
])
def test_billed_duration_rounds_up_to_whole_milliseconds(duration: float, billed: int) -> None:
    assert billed_duration_ms(duration) == billed


@pytest.mark.parametrize(("init", "expected"), [
    (None, "REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB"
           "\tMax Memory Used: 40 MB\t\n"),
    (12.345, "REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB"
             "\tMax Memory Used: 40 MB\tInit Duration: 12.35 ms\t\n"),
])
def test_report_line(init: float | None, expected: str) -> None:
    record = invocation_record("r", "1", b"", 1.234, 128, 40, init).decode()
    assert record.split("END RequestId: r\n")[1] == expected


def test_timeout_line_has_a_utc_timestamp() -> None:
    assert timestamp(0.5) == "1970-01-01T00:00:00.500Z"
    assert timeout_line(0.5, "r", 3) == \
        b"1970-01-01T00:00:00.500Z r Task timed out after 3.00 seconds\n"


@pytest.mark.parametrize(("size", "kept"), [(10, 10), (4096, 4096), (5000, 4096)])
def test_tail_keeps_the_last_4_kb(size: int, kept: int) -> None:
    record = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert tail(record) == record[-kept:]


def test_store_appends_per_function_and_version_and_reads_from_offsets(tmp_path: Path) -> None:
    store = LogStore(tmp_path)
    store.append("orders", "$LATEST", b"START one\nhello\n")
    store.append("orders", "1", b"other version\n")
    lines, offset = store.read("orders", "$LATEST")
    assert lines == ["START one", "hello"]
    store.append("orders", "$LATEST", b"END one\npartial")
    more, offset2 = store.read("orders", "$LATEST", offset)
    assert more == ["END one"]  # an incomplete last line waits for its newline
    assert store.read("orders", "$LATEST", offset2) == ([], offset2)
    assert store.read("orders", "1")[0] == ["other version"]
    assert store.path("orders", "$LATEST").is_file()
    store.close()


def test_reading_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert LogStore(tmp_path).read("nobody", "$LATEST", 7) == ([], 7)
