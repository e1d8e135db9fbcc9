"""Random identifiers made on every invocation: request ids and X-Ray trace headers.

They must be unique, not secret, so they come from one pseudo-random generator seeded
from the operating system, rather than from ``os.urandom`` (a ``getrandom`` system call
each, two per invocation). A forked child draws a fresh seed so it never repeats its
parent's sequence.
"""

from __future__ import annotations

import os
import random

_source = random.Random(os.urandom(32))


def _reseed() -> None:
    _source.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)

_VARIANT = "89ab"


def new_request_id() -> str:
    """A random (version 4) UUID in its text form, like ``str(uuid.uuid4())``."""
    text = f"{_source.getrandbits(128):032x}"
    return (f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{_VARIANT[int(text[16], 16) & 3]}"
            f"{text[17:20]}-{text[20:]}")


def trace_header(epoch_s: float) -> str:
    """A ``_X_AMZN_TRACE_ID`` value for an unsampled trace started at ``epoch_s``.

    https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader:
    ``Root=1-<8 hex digits of epoch seconds>-<24 hex digits>;Parent=<16 hex digits>``.
    """
    noise = f"{_source.getrandbits(160):040x}"
    return f"Root=1-{int(epoch_s):08x}-{noise[:24]};Parent={noise[24:]};Sampled=0"
