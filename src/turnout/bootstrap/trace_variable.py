"""``_X_AMZN_TRACE_ID``, set for every invocation without leaking memory.

AWS's Python runtime sets ``os.environ["_X_AMZN_TRACE_ID"]`` to each invocation's
trace header (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
Done that way, each new value goes through setenv(3), and glibc keeps a copy of
every value setenv was ever given (pointers handed out earlier must stay valid),
never freed: with a new trace id per invocation, about 110 bytes per invocation
until a busy warm environment exceeds its MemorySize.

Here the C environment's entry (what child processes inherit and getenv(3)
reads) points at one buffer of ours, rewritten in place: putenv(3) keeps the
pointer it is given instead of copying. ``os.environ``'s mapping is updated to
match, as its own ``__setitem__`` would. A value that does not fit, or an
interpreter without that mapping, goes through ``os.environ`` as before.
"""

from __future__ import annotations

import ctypes
import os
import sys

CAPACITY = 1024  # bytes of value; X-Ray trace headers are far shorter
_UNSET = object()


class ReusedVariable:
    """One environment variable whose value is replaced again and again."""

    def __init__(self, name: str, capacity: int = CAPACITY) -> None:
        self._name = name
        self._encoding = sys.getfilesystemencoding()  # as os.environ encodes, on POSIX
        self._key = os.fsencode(name)
        prefix = self._key + b"="
        # Lives as long as this object: keep the object as long as the process
        # (the C environment may point into it).
        self._entry = ctypes.create_string_buffer(prefix, len(prefix) + capacity + 1)
        self._value = memoryview(self._entry).cast("B")[len(prefix):]
        self._capacity = capacity
        self._putenv = ctypes.CDLL(None).putenv
        self._mapping: dict[bytes, bytes] | None = getattr(os.environ, "_data", None)
        self._current: object = _UNSET  # what the mapping holds when the entry is ours

    def set(self, value: str) -> None:
        """``os.environ[name] = value``, in the mapping and in the C environment."""
        encoded = value.encode(self._encoding, "surrogateescape")
        mapping = self._mapping
        if mapping is None or len(encoded) >= self._capacity or "\0" in value:
            os.environ[self._name] = value  # and the ValueError of an embedded NUL
            self._current = _UNSET
            return
        self._value[:len(encoded) + 1] = encoded + b"\0"
        if mapping.get(self._key) is not self._current:
            # First use, or the function set or deleted the variable itself since:
            # point the C environment at our entry again.
            self._putenv(self._entry)
        mapping[self._key] = self._current = encoded
