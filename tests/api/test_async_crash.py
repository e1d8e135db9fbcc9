"""Issue 6: acknowledged asynchronous events survive ``kill -9`` of Turnout and all run.

1,000 events go to a slow function with reserved concurrency 2; Turnout is killed
while most of them are still queued; after a restart on the same data directory
every event runs (at least once).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.helpers import TurnoutProcess, lambda_client, make_zip

EVENTS = 1_000
SOURCE = """import os, pathlib, time
def handler(event, context):
    time.sleep(0.01)
    pathlib.Path(os.environ["OUT_DIR"], str(event["n"])).touch()
"""


def test_every_acknowledged_event_runs_after_kill_9(fresh_server: TurnoutProcess,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "ran"
    out.mkdir()
    client = lambda_client(fresh_server.endpoint)
    client.create_function(FunctionName="slow", Runtime="python3.12", Handler="index.handler",
                           Role="arn:aws:iam::000000000000:role/test",
                           Code={"ZipFile": make_zip({"index.py": SOURCE})},
                           Environment={"Variables": {"OUT_DIR": str(out)}})
    client.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=2)

    def send(n: int) -> int:
        response = client.invoke(FunctionName="slow", InvocationType="Event",
                                 Payload=json.dumps({"n": n}).encode())
        return int(response["StatusCode"])

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(send, range(EVENTS))) == {202}
    fresh_server.kill()
    ran_before_the_crash = len(list(out.iterdir()))
    assert ran_before_the_crash < EVENTS // 2  # most were still queued

    fresh_server.start()
    deadline = time.monotonic() + 90
    while len(list(out.iterdir())) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.2)
    missing = set(range(EVENTS)) - {int(p.name) for p in out.iterdir()}
    assert not missing, f"{len(missing)} acknowledged events never ran"
