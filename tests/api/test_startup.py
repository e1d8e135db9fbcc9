"""Starting Turnout where it cannot run ends with a clear message, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.helpers import SOURCE_ROOT, TurnoutProcess


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
