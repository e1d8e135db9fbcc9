"""Random sequences of control operations keep Lambda's invariants and survive a reopen."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.clock import FakeClock
from turnout.control import ConfigUpdate, Control
from turnout.errors import LambdaError
from turnout.models import VersionRecord
from turnout.settings import Settings

ROLE = "arn:aws:iam::000000000000:role/lambda"
VERSIONS = st.sampled_from(["$LATEST", "1", "2", "3", "4"])
OPERATIONS = st.one_of(
    st.tuples(st.just("configure"), st.integers(1, 4)),
    st.tuples(st.just("code"), st.integers(1, 3)),
    st.tuples(st.just("publish"), st.booleans()),
    st.tuples(st.just("delete_version"), VERSIONS),
    st.tuples(st.just("alias"), st.sampled_from(["a", "b"]), VERSIONS,
              st.one_of(st.none(), VERSIONS)),
    st.tuples(st.just("drop_alias"), st.sampled_from(["a", "b"])),
)


def _zip(n: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", f"N = {n}\n")
    return buffer.getvalue()


async def _apply(control: Control, operation: tuple[Any, ...]) -> VersionRecord | None:
    kind = operation[0]
    if kind == "configure":
        await control.update_configuration("f", ConfigUpdate(timeout=operation[1]))
    elif kind == "code":
        await control.update_code("f", _zip(operation[1]))
    elif kind == "publish":
        return await control.publish_version("f", description="d" if operation[1] else None)
    elif kind == "delete_version":
        await control.delete_function("f", operation[1])
    elif kind == "alias":
        _, name, version, extra = operation
        weights = {extra: 0.5} if extra else {}
        if name in control.entry("f").aliases:
            await control.update_alias("f", name, version, weights=weights)
        else:
            await control.create_alias("f", name, version, weights=weights)
    else:
        await control.delete_alias("f", operation[1])
    return None


async def _scenario(data_dir: Path, operations: list[tuple[Any, ...]]) -> None:
    settings_ = Settings(data_dir=data_dir)
    control = await Control.open(settings_, FakeClock())
    await control.create_function("f", _zip(0), ConfigUpdate(
        runtime="python3.12", handler="app.handler", role=ROLE))
    first_seen: dict[str, VersionRecord] = {}
    highest = 0
    for operation in operations:
        try:
            published = await _apply(control, operation)
        except LambdaError:
            published = None
        entry = control.entry("f")
        if published is not None and published.version not in first_seen:
            assert int(published.version) == highest + 1  # no gaps, never reused
            highest = int(published.version)
        for number, record in entry.versions.items():
            if number != "$LATEST":
                assert first_seen.setdefault(number, record) == record  # immutable
        for alias in entry.aliases.values():
            assert alias.function_version in entry.versions
            assert all(version in entry.versions for version in alias.weights)
            assert alias.function_version not in alias.weights
        assert entry.function.last_version == highest
    before = control.entry("f")
    await control.close()
    reopened = await Control.open(settings_, FakeClock())
    try:
        assert reopened.entry("f") == before
    finally:
        await reopened.close()


@settings(max_examples=25, deadline=None)
@given(operations=st.lists(OPERATIONS, max_size=14))
def test_operations_keep_the_invariants(operations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(_scenario(Path(directory), operations))
