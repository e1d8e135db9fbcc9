"""The in-memory copy of control state that the invoke path reads (never SQLite).

Only the control plane replaces entries; readers get frozen records, so a
record they hold never changes under them.
"""

from __future__ import annotations

from collections.abc import Iterator

from turnout.models import AliasRecord, FunctionEntry, FunctionRecord, VersionRecord


class Registry:
    def __init__(self, entries: dict[str, FunctionEntry] | None = None) -> None:
        self._entries: dict[str, FunctionEntry] = dict(entries or {})

    def function(self, name: str) -> FunctionRecord | None:
        entry = self._entries.get(name)
        return entry.function if entry else None

    def version(self, name: str, version: str) -> VersionRecord | None:
        """``version`` is ``"$LATEST"`` or a published number."""
        entry = self._entries.get(name)
        return entry.versions.get(version) if entry else None

    def alias(self, name: str, alias: str) -> AliasRecord | None:
        entry = self._entries.get(name)
        return entry.aliases.get(alias) if entry else None

    def entry(self, name: str) -> FunctionEntry | None:
        return self._entries.get(name)

    def entries(self) -> Iterator[FunctionEntry]:
        """All functions, ordered by name."""
        for name in sorted(self._entries):
            yield self._entries[name]

    def __len__(self) -> int:
        return len(self._entries)

    def replace(self, name: str, entry: FunctionEntry | None) -> None:
        """Put ``entry`` in place of the function ``name`` (``None`` removes it)."""
        if entry is None:
            self._entries.pop(name, None)
        else:
            self._entries[name] = entry
