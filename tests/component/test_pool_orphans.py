"""``kill -9`` of the platform leaves no environment behind (parent-death signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.component.pool_support import alive, run, until_gone

pytestmark = pytest.mark.component

PLATFORM = """
import asyncio, json, os, sys
from pathlib import Path
sys.path[:0] = [{src!r}, {root!r}]
from tests.component.pool_support import function, running_pool
HANDLER = "import os, time\\ndef handler(e, c):\\n    time.sleep(e)\\n    return os.getpid()\\n"

async def main():
    data = Path({data!r})
    spec = function(data, {{"index.py": HANDLER}}, timeout_s=60)
    async with running_pool(data / "zygote") as forked, \\
            running_pool(data / "fresh", use_zygote=False) as fresh:
        pids = [forked._zygote.pid]
        for pool in (forked, fresh):
            for result in await asyncio.gather(*(pool.invoke(spec, b"0.2", request_id=str(i),
                                                             invoked_arn="arn")
                                                 for i in range(2))):
                pids.append(int(result.payload))
        # Keep the workers inside a handler, deaf to their Runtime API connection.
        busy = [asyncio.ensure_future(pool.invoke(spec, b"50", request_id="s" + str(i),
                                                  invoked_arn="arn"))
                for pool in (forked, fresh) for i in range(2)]
        await asyncio.sleep(0.5)
        print(json.dumps(pids), flush=True)
        await asyncio.gather(*busy)

asyncio.run(main())
"""


def test_kill_9_of_the_platform_kills_every_environment(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "turnout_under_test.py"
    script.write_text(textwrap.dedent(PLATFORM).format(src=str(root / "src"), root=str(root),
                                                      data=str(tmp_path)))
    platform = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                text=True, cwd=tmp_path)
    try:
        assert platform.stdout is not None
        pids = json.loads(platform.stdout.readline())
        assert len(set(pids)) == 5 and all(alive(pid) for pid in pids)
        os.kill(platform.pid, signal.SIGKILL)
        platform.wait(timeout=5)
        assert run(until_gone(pids, deadline_s=5.0))
    finally:
        if platform.poll() is None:
            platform.kill()
            platform.wait(timeout=5)
