"""Small helpers shared by tests: zips, running servers."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import turnout

# The code under test: this checkout's sources, or the compiled copy of them when the
# tests run against it (``make test``); never another installed turnout.
SOURCE_ROOT = Path(turnout.__file__).resolve().parents[1]


def make_zip(files: dict[str, str | bytes], mode: int = 0o644) -> bytes:
    """A zip with the given files; ``mode`` applies to every entry (0o755 for bootstraps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


class TurnoutProcess:
    """``python -m turnout serve`` on 127.0.0.1 with a free port and its own data dir."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.data_dir = data_dir
        self.extra_env = extra_env or {}
        self.cwd = cwd
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""

    def start(self, deadline_s: float = 30.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT),
               "TURNOUT_DATA_DIR": str(self.data_dir), "TURNOUT_PORT": "0",
               "TURNOUT_HOST": "127.0.0.1", **self.extra_env}
        self.process = subprocess.Popen([sys.executable, "-m", "turnout", "serve"], env=env,
                                        stdout=subprocess.PIPE, text=True, cwd=self.cwd,
                                        start_new_session=True)
        assert self.process.stdout is not None
        started = time.monotonic()
        line = self.process.stdout.readline()
        if "ready on " not in line or time.monotonic() - started > deadline_s:
            self.kill()
            raise RuntimeError(f"Turnout did not start: {line!r}")
        self.endpoint = line.split("ready on ", 1)[1].split()[0]

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def lambda_client(endpoint: str, region: str = "us-east-1"):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        "lambda", endpoint_url=endpoint, region_name=region, aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60,
                      connect_timeout=5, max_pool_connections=64))
