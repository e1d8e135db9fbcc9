"""Starting Turnout: with its defaults it runs functions; where it cannot run, it ends
with a clear message, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.helpers import SOURCE_ROOT, TurnoutProcess, lambda_client, make_zip


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}
    return subprocess.run([sys.executable, "-m", "turnout", "serve", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_second_turnout_on_the_same_data_dir_is_refused(turnout_server: TurnoutProcess) -> None:
    done = _serve("--port", "0", "--data-dir", str(turnout_server.data_dir))
    assert done.returncode == 1
    assert "another Turnout is already using the data directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_busy_port_is_refused(tmp_path: object) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve("--port", str(port), "--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_default_data_dir_relative_to_where_turnout_starts(tmp_path: Path) -> None:
    """``make run`` keeps state in ``./.turnout``: a function's code under a relative
    path must still be found by its environment, which runs in that code's directory."""
    server = TurnoutProcess(tmp_path / ".turnout", {"TURNOUT_DATA_DIR": ".turnout"},
                            cwd=tmp_path)
    server.start()
    try:
        client = lambda_client(server.endpoint)
        client.create_function(
            FunctionName="here", Runtime="python3.11", Handler="index.handler",
            Role="arn:aws:iam::000000000000:role/test",
            Code={"ZipFile": make_zip({"index.py": "def handler(e, c):\n    return 'ran'\n"})})
        answer = client.invoke(FunctionName="here")
        assert "FunctionError" not in answer, answer["Payload"].read()
        assert answer["Payload"].read() == b'"ran"'
        assert (tmp_path / ".turnout" / "state.db").exists()
    finally:
        server.stop()
