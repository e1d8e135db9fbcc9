"""Import rules (DESIGN.md §3): the worker-side bootstrap uses only the standard library;
the pool knows nothing of HTTP APIs, SQL, control or routing; the API is imported only by the
platform and the server; only the control plane writes function state."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import turnout

PACKAGE = Path(turnout.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "bootstrap").glob("*.py")), ids=str)
def test_bootstrap_imports_only_the_standard_library(path: Path) -> None:
    for name in imported_modules(path):
        top = name.split(".")[0]
        if top == "turnout":
            assert name.startswith("turnout.bootstrap"), f"{path.name} imports {name}"
        else:
            assert top in sys.stdlib_module_names or top == "__future__", \
                f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "pool").glob("*.py")), ids=str)
def test_the_pool_knows_nothing_of_api_store_or_routing(path: Path) -> None:
    forbidden = ("turnout.api", "turnout.store", "turnout.control", "turnout.invoke",
                 "turnout.events", "sqlite3")
    for name in imported_modules(path):
        assert not name.startswith(forbidden), f"{path.name} imports {name}"


OUTSIDE = [path for path in sorted(PACKAGE.rglob("*.py"))
           if path.relative_to(PACKAGE).parts[0] not in {"api", "store", "control"}]


@pytest.mark.parametrize("path", OUTSIDE, ids=str)
def test_only_the_platform_and_the_server_import_the_api(path: Path) -> None:
    if path.name in {"platform.py", "server.py"} and path.parent == PACKAGE:
        return
    for name in imported_modules(path):
        assert not name.startswith("turnout.api"), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", OUTSIDE, ids=str)
def test_only_the_control_plane_touches_function_state_storage(path: Path) -> None:
    for name in imported_modules(path):
        assert name not in {"turnout.store.state", "turnout.store.code"}, \
            f"{path.name} imports {name}"
