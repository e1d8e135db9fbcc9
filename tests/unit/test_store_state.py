"""Control state in SQLite: every record survives a reopen exactly; the registry reads it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from turnout.models import (
    LATEST,
    AliasRecord,
    FunctionEntry,
    FunctionRecord,
    VersionRecord,
    frozen_map,
)
from turnout.store import state
from turnout.store.db import Database
from turnout.store.registry import Registry


def version(name: str, number: str, revision: str = "r") -> VersionRecord:
    return VersionRecord(
        function_name=name, version=number, runtime="python3.12", handler="app.handler",
        role="arn:aws:iam::000000000000:role/r", code_sha256="c2hh", code_size=10,
        revision_id=revision, last_modified="2024-01-01T00:00:00.000+0000",
        environment=frozen_map({"A": "1"}), architectures=("arm64",),
        dead_letter_target_arn="arn:aws:sqs:us-east-1:000000000000:dlq")


def entry(name: str, versions: list[str], aliases: dict[str, str],
          tags: dict[str, str] | None = None) -> FunctionEntry:
    return FunctionEntry(
        function=FunctionRecord(name=name, created="2024-01-01T00:00:00.000+0000",
                                tags=frozen_map(tags), last_version=len(versions) - 1),
        versions=frozen_map({v: version(name, v) for v in versions}),
        aliases=frozen_map({
            alias: AliasRecord(function_name=name, name=alias, function_version=target,
                               revision_id="a", weights=frozen_map({"1": 0.25})
                               if target == "2" else frozen_map())
            for alias, target in aliases.items()}))


async def roundtrip(path: Path, changes: list[tuple[str, FunctionEntry | None]],
                    ) -> dict[str, FunctionEntry]:
    database = Database(path, state.SCHEMA)
    await database.open()
    for name, new in changes:
        await database.run(lambda c, name=name, new=new: state.persist(c, name, new))
    await database.close()
    reopened = Database(path, state.SCHEMA)
    await reopened.open()
    try:
        return await reopened.run(state.load_all)
    finally:
        await reopened.close()


def test_records_survive_a_reopen_exactly(tmp_path: Path) -> None:
    first = entry("f", [LATEST, "1", "2"], {"live": "2", "old": "1"}, {"team": "a"})
    loaded = asyncio.run(roundtrip(tmp_path / "s.db", [("f", first)]))
    assert loaded == {"f": first}
    assert loaded["f"].versions["1"].architectures == ("arm64",)


def test_persist_makes_the_rows_match_the_entry(tmp_path: Path) -> None:
    first = entry("f", [LATEST, "1", "2"], {"live": "2", "old": "1"})
    second = entry("f", [LATEST, "2", "3"], {"live": "2"}, {"k": "v"})
    other = entry("g", [LATEST], {})
    loaded = asyncio.run(roundtrip(tmp_path / "s.db",
                                   [("f", first), ("g", other), ("f", second)]))
    assert loaded == {"f": second, "g": other}


def test_persist_converges_after_a_lost_write(tmp_path: Path) -> None:
    """If the write of an intermediate entry failed, the next write still lands whole."""
    first = entry("f", [LATEST, "1"], {"live": "1"})
    third = entry("f", [LATEST, "2", "3"], {"canary": "2"})
    loaded = asyncio.run(roundtrip(tmp_path / "s.db", [("f", first), ("f", third)]))
    assert loaded == {"f": third}


def test_deleting_a_function_removes_its_versions_and_aliases(tmp_path: Path) -> None:
    first = entry("f", [LATEST, "1"], {"live": "1"})
    loaded = asyncio.run(roundtrip(tmp_path / "s.db", [("f", first), ("f", None)]))
    assert loaded == {}
    with sqlite3.connect(tmp_path / "s.db") as connection:
        counts = [connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("functions", "versions", "aliases")]
    assert counts == [0, 0, 0]


def test_decoding_ignores_unknown_fields_and_defaults_missing_ones() -> None:
    record = state.decode(AliasRecord, b'{"function_name": "f", "name": "a", '
                                       b'"function_version": "1", "revision_id": "r", '
                                       b'"from_the_future": 1}')
    assert record == AliasRecord(function_name="f", name="a", function_version="1",
                                 revision_id="r")


def test_registry_lookups() -> None:
    registry = Registry({"f": entry("f", [LATEST, "1"], {"live": "1"})})
    assert registry.function("f") is not None
    assert registry.version("f", "1") is not None
    assert registry.version("f", "2") is None
    assert registry.version("g", LATEST) is None
    assert registry.alias("f", "live") is not None
    assert registry.alias("f", "dead") is None
    registry.replace("a", entry("a", [LATEST], {}))
    assert [e.function.name for e in registry.entries()] == ["a", "f"]
    registry.replace("f", None)
    assert registry.function("f") is None
    assert len(registry) == 1
