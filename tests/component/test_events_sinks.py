"""``turnout destinations tail``: following a sink while lines are appended."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from turnout.events.sinks import append_line, read_sink, sink_path


def test_read_sink_follows_new_lines_until_stopped(tmp_path: Path) -> None:
    arn = "arn:aws:sns:us-east-1:123456789012:t"
    path = sink_path(tmp_path, arn)
    append_line(path, b'{"n": 0}')
    seen: list[Any] = []
    done = threading.Event()

    def tail() -> None:
        for message in read_sink(tmp_path, arn, follow=True, poll_seconds=0.01,
                                 stop=lambda: len(seen) >= 2):
            seen.append(message)
        done.set()

    reader = threading.Thread(target=tail)
    reader.start()
    with open(path, "ab") as sink:  # a line written in two parts is read once, whole
        sink.write(b'{"n": ')
        sink.flush()
        sink.write(b"1}\n")
    assert done.wait(5.0)
    reader.join(5.0)
    assert seen == [{"n": 0}, {"n": 1}]
