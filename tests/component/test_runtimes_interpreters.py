"""A runtime id mapped to another interpreter runs our bootstrap on that interpreter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.component.pool_support import function, run, running_pool

pytestmark = pytest.mark.component

VERSION = """
import sys

def handler(event, context):
    return {"version": list(sys.version_info[:2]), "executable": sys.executable}
"""


def find_python(version: str) -> str | None:
    """A real python{version} that starts with an empty environment (not a pyenv shim)."""
    candidates = [str(path) for path in
                  sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))]
    candidates.append(shutil.which(f"python{version}") or "")
    for candidate in filter(None, candidates):
        works = subprocess.run([candidate, "-c", "pass"], env={}, capture_output=True,
                               timeout=10, check=False)
        if works.returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.9", "3.12"])
def test_a_mapped_interpreter_runs_the_function(tmp_path: Path, version: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    interpreter = find_python(version)
    if interpreter is None or version == f"{sys.version_info[0]}.{sys.version_info[1]}":
        pytest.skip(f"no separate python{version} on this machine")
    monkeypatch.setenv(f"TURNOUT_RUNTIME_PYTHON{version.replace('.', '_')}", interpreter)
    spec = function(tmp_path, {"index.py": VERSION}, runtime=f"python{version}")

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            for expected_cold in (True, False):
                result = await pool.invoke(spec, b"{}", request_id="req",
                                           invoked_arn=spec.function_arn)
                assert result.function_error is None, result.log_tail
                assert result.cold_start is expected_cold
                seen = json.loads(result.payload)
                assert seen["version"] == [int(part) for part in version.split(".")]

    run(scenario())


def test_an_unmapped_runtime_falls_back_to_the_host_interpreter(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = function(tmp_path, {"index.py": VERSION}, runtime="python3.99")

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            for _ in range(2):
                result = await pool.invoke(spec, b"{}", request_id="req",
                                           invoked_arn=spec.function_arn)
                assert json.loads(result.payload)["version"] == list(sys.version_info[:2])

    run(scenario())
    assert sum("python3.99" in message for message in caplog.messages) == 1
