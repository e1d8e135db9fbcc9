"""The benchmark load generator frames answers by Content-Length (its results depend on it)."""

from __future__ import annotations

import pytest

from bench.loadgen import answer_length

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"


@pytest.mark.parametrize(("buffer", "framed"), [
    (OK, (200, len(OK))),
    (OK + b"HTTP/1.1 200 OK", (200, len(OK))),  # the start of a next answer is left over
    (OK[:-1], None),  # body incomplete
    (OK[:20], None),  # head incomplete
    (b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\nx-a: b\r\n\r\n{}", (429, 63)),
    (b"HTTP/1.1 204 No Content\r\nx-a: b\r\n\r\n", (204, 35)),  # no length: no body
])
def test_answers_are_framed_by_content_length(buffer: bytes,
                                              framed: tuple[int, int] | None) -> None:
    assert answer_length(bytearray(buffer)) == framed
