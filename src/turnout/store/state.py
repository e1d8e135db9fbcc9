"""The only SQL for control state: schema, loading everything at start-up, writing changes.

Each record is one row holding its JSON; keys are columns so that deleting a
function cascades to its versions and aliases. Decoding ignores unknown keys
and fills missing ones with the record's defaults, so records may gain fields
(round 2: concurrency and event-invoke configs) without a migration.

A change is written as a whole ``FunctionEntry``: the control plane computes
the new entry, ``persist`` rewrites only the rows that differ from it.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson

from turnout.models import (
    AliasRecord,
    EventInvokeRecord,
    FunctionEntry,
    FunctionRecord,
    ProvisionedConfig,
    VersionRecord,
    frozen_map,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    name TEXT PRIMARY KEY,
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    version TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (function_name, version)
);
CREATE TABLE IF NOT EXISTS aliases (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (function_name, name)
);
CREATE TABLE IF NOT EXISTS event_invoke_configs (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);
CREATE TABLE IF NOT EXISTS provisioned_configs (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);
"""

R = TypeVar("R", FunctionRecord, VersionRecord, AliasRecord, EventInvokeRecord,
            ProvisionedConfig)
Record = FunctionRecord | VersionRecord | AliasRecord | EventInvokeRecord | ProvisionedConfig
Keyed = (Mapping[str, VersionRecord] | Mapping[str, AliasRecord]
         | Mapping[str, EventInvokeRecord] | Mapping[str, ProvisionedConfig])


def encode(record: Record) -> bytes:
    values: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        values[item.name] = dict(value) if isinstance(value, Mapping) else value
    return orjson.dumps(values)


def decode(kind: type[R], data: bytes) -> R:
    raw = orjson.loads(data)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(kind):
        if item.name not in raw:
            continue
        value = raw[item.name]
        if isinstance(value, dict):
            value = frozen_map(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[item.name] = value
    return kind(**values)


def _children(connection: sqlite3.Connection, table: str, key: str, kind: type[R],
              functions: Mapping[str, object]) -> dict[str, Mapping[str, R]]:
    """The records of one child table, grouped by function and keyed by ``key``."""
    grouped: dict[str, dict[str, R]] = {name: {} for name in functions}
    for name, child, record in connection.execute(
            f"SELECT function_name, {key}, record FROM {table}"):
        grouped[name][child] = decode(kind, record)
    return {name: frozen_map(children) for name, children in grouped.items()}


def load_all(connection: sqlite3.Connection) -> dict[str, FunctionEntry]:
    functions = {
        name: decode(FunctionRecord, record)
        for name, record in connection.execute("SELECT name, record FROM functions")
    }
    versions = _children(connection, "versions", "version", VersionRecord, functions)
    aliases = _children(connection, "aliases", "name", AliasRecord, functions)
    event_invoke = _children(connection, "event_invoke_configs", "qualifier",
                             EventInvokeRecord, functions)
    provisioned = _children(connection, "provisioned_configs", "qualifier", ProvisionedConfig,
                            functions)
    return {
        name: FunctionEntry(function=function, versions=versions[name], aliases=aliases[name],
                            event_invoke=event_invoke[name], provisioned=provisioned[name])
        for name, function in functions.items()
    }


def persist(connection: sqlite3.Connection, name: str, new: FunctionEntry | None) -> None:
    """Make the rows of the function ``name`` match ``new`` (``None``: the function is gone).

    The rows are compared with what is stored, not with what the caller last
    saw, so a write that failed earlier never leaves the two out of step.
    """
    if new is None:
        connection.execute("DELETE FROM functions WHERE name = ?", (name,))
        return
    _upsert(connection, "SELECT record FROM functions WHERE name = ?", (name,),
            "INSERT INTO functions (name, record) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            (name,), encode(new.function))
    _sync(connection, "versions", "version", name, new.versions)
    _sync(connection, "aliases", "name", name, new.aliases)
    _sync(connection, "provisioned_configs", "qualifier", name, new.provisioned)
    _sync(connection, "event_invoke_configs", "qualifier", name, new.event_invoke)


def _upsert(connection: sqlite3.Connection, select: str, key: tuple[str, ...], insert: str,
            values: tuple[str, ...], record: bytes) -> None:
    row = connection.execute(select, key).fetchone()
    if row is None or bytes(row[0]) != record:
        connection.execute(insert, (*values, record))


def _sync(connection: sqlite3.Connection, table: str, key: str, name: str,
          new: Keyed) -> None:
    stored = {item: bytes(record) for item, record in connection.execute(
        f"SELECT {key}, record FROM {table} WHERE function_name = ?", (name,))}
    for gone in stored.keys() - new.keys():
        connection.execute(f"DELETE FROM {table} WHERE function_name = ? AND {key} = ?",
                           (name, gone))
    for item, record in new.items():
        encoded = encode(record)
        if stored.get(item) != encoded:
            connection.execute(
                f"INSERT INTO {table} (function_name, {key}, record) VALUES (?, ?, ?)"
                f" ON CONFLICT (function_name, {key}) DO UPDATE SET record = excluded.record",
                (name, item, encoded))
