from __future__ import annotations

import asyncio
import io
from pathlib import Path

import orjson

from turnout.events.commands import destinations_command, queue_command
from turnout.events.queue import EventQueue
from turnout.events.sinks import append_line, sink_path

T0 = 1_700_000_000.0


def test_queue_command_shows_counts_and_events(tmp_path: Path) -> None:
    async def fill() -> None:
        queue = EventQueue.in_data_dir(tmp_path)
        await queue.open()
        await queue.enqueue("orders", "live", b"{}", "req-1", T0)
        await queue.enqueue("mail", None, b"{}", "req-2", T0 + 1)
        await queue.claim(T0 + 2, 1, 900.0)
        await queue.close()

    asyncio.run(fill())
    out = io.StringIO()
    assert queue_command(["--data-dir", str(tmp_path)], out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "QUEUED 1  RUNNING 1  RETRY_WAIT 0  DONE 0  FAILED 0"
    assert lines[1] == "outbox: PENDING 0  ABANDONED 0"
    assert "req-1" in lines[3] and "orders:live" in lines[3] and "RUNNING" in lines[3]
    assert "req-2" in lines[4] and "mail:$LATEST" in lines[4]
    only = io.StringIO()
    queue_command(["--data-dir", str(tmp_path), "--state", "QUEUED"], only)
    assert "req-1" not in only.getvalue() and "req-2" in only.getvalue()


def test_queue_command_without_a_queue(tmp_path: Path) -> None:
    out = io.StringIO()
    assert queue_command(["--data-dir", str(tmp_path)], out) == 1
    assert "no event queue" in out.getvalue()


def test_destinations_tail_prints_each_message(tmp_path: Path) -> None:
    arn = "arn:aws:sqs:us-east-1:000000000000:failures"
    append_line(sink_path(tmp_path, arn), orjson.dumps({"body": "1"}))
    append_line(sink_path(tmp_path, arn), orjson.dumps({"body": "2"}))
    out = io.StringIO()
    assert destinations_command(["tail", arn, "--data-dir", str(tmp_path)], out) == 0
    assert out.getvalue().splitlines() == ['{"body":"1"}', '{"body":"2"}']
