"""The trace id variable: os.environ and the C environment agree, and no value is kept."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from turnout.bootstrap.trace_variable import ReusedVariable

NAME = "_TURNOUT_TEST_TRACE_ID"
_libc = ctypes.CDLL(None)
_libc.getenv.restype = ctypes.c_char_p


def c_getenv() -> str | None:
    """What getenv(3), and so a child process, sees."""
    value = _libc.getenv(NAME.encode())
    return None if value is None else os.fsdecode(value)


def resident_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0])


@pytest.fixture
def variable() -> Iterator[ReusedVariable]:
    reused = ReusedVariable(NAME, capacity=64)
    yield reused
    os.environ.pop(NAME, None)  # unlinks the C entry before the buffer can go


def user_sets(value: str) -> Callable[[], None]:
    def change() -> None:
        os.environ[NAME] = value
    return change


def user_deletes() -> None:
    os.environ.pop(NAME, None)


@pytest.mark.parametrize(("before", "value"), [
    (None, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
    (user_sets("set by the function"), "Root=1-a;Sampled=0"),
    (user_deletes, "Root=1-b;Sampled=0"),
    (None, "x" * 64),  # does not fit: through os.environ
    (None, "Root=1-é"),
])
def test_os_environ_and_getenv_see_each_value(variable: ReusedVariable,
                                              before: Callable[[], None] | None,
                                              value: str) -> None:
    variable.set("Root=1-first")
    if before is not None:
        before()
    variable.set(value)
    assert (os.environ[NAME], os.getenv(NAME), c_getenv()) == (value, value, value)
    variable.set("Root=1-after")
    assert (os.environ[NAME], c_getenv()) == ("Root=1-after", "Root=1-after")


def test_a_nul_is_refused_as_os_environ_refuses_it(variable: ReusedVariable) -> None:
    with pytest.raises(ValueError):
        variable.set("a\0b")


def test_values_are_not_kept(variable: ReusedVariable) -> None:
    """setenv(3) would keep ~110 bytes per value: 40,000 values, over 4 MB."""
    for number in range(2_000):  # the first allocations settle
        variable.set(f"Root=1-00000000-{number:024x};Sampled=0")
    before = resident_kb()
    for number in range(40_000):
        variable.set(f"Root=1-00000000-{number:024x};Sampled=0")
    assert resident_kb() - before < 1024
