"""Issue 6 end to end: event-invoke configs and dead-letter queues steer real asynchronous
invocations to their destinations (retry delays scaled down by the test server's settings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.api.control_kit import ARN, create
from tests.helpers import SOURCE_ROOT, TurnoutProcess, make_zip

T = TypeVar("T")
DEADLINE_S = 30.0

# Each run leaves a file in RUN_DIR, so a test can count the attempts.
FAILING = make_zip({"app.py": """
import os, uuid

def handler(event, context):
    path = os.path.join(os.environ["RUN_DIR"], uuid.uuid4().hex)
    with open(path, "w") as out:
        out.write(context.aws_request_id)
    raise RuntimeError("boom: " + str(event.get("order")))
"""})
SUCCEEDING = make_zip({"app.py": """
def handler(event, context):
    return {"handled": event["order"]}
"""})
# A destination function: writes every record it receives to RECORD_DIR.
RECORDER = make_zip({"app.py": """
import json, os, uuid

def handler(event, context):
    with open(os.path.join(os.environ["RECORD_DIR"], uuid.uuid4().hex + ".json"), "w") as out:
        json.dump(event, out)
"""})


def eventually(probe: Callable[[], T | None], deadline_s: float = DEADLINE_S) -> T:
    """Poll ``probe`` until it returns something, or fail after the deadline."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"nothing arrived within {deadline_s} s")


def files_in(directory: Path, count: int) -> list[Path] | None:
    found = sorted(directory.iterdir())
    return found if len(found) >= count else None


def tail(server: TurnoutProcess, arn: str, count: int) -> list[dict[str, Any]] | None:
    """``turnout destinations tail ARN`` as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}
    shown = subprocess.run(
        [sys.executable, "-m", "turnout", "destinations", "tail", arn,
         "--data-dir", str(server.data_dir)],
        env=env, capture_output=True, text=True, timeout=30, check=True)
    lines = [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]
    return lines if len(lines) >= count else None


def invoke_event(client: Any, name: str, payload: dict[str, Any]) -> str:
    answer = client.invoke(FunctionName=name, InvocationType="Event",
                           Payload=json.dumps(payload).encode())
    assert answer["StatusCode"] == 202
    return str(answer["ResponseMetadata"]["RequestId"])


def directory(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def test_retries_exhausted_reach_a_function_destination(lambda_client: Any, fn_name: str,
                                                         tmp_path: Path) -> None:
    runs, records = directory(tmp_path, "runs"), directory(tmp_path, "records")
    create(lambda_client, f"{fn_name}-recorder", Code={"ZipFile": RECORDER},
           Environment={"Variables": {"RECORD_DIR": str(records)}})
    create(lambda_client, fn_name, Code={"ZipFile": FAILING},
           Environment={"Variables": {"RUN_DIR": str(runs)}})
    lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": f"{ARN}:{fn_name}-recorder"}})
    request_id = invoke_event(lambda_client, fn_name, {"order": 7})
    [delivered] = eventually(lambda: files_in(records, 1))
    record = json.loads(delivered.read_text())
    assert len(list(runs.iterdir())) == 3
    assert {path.read_text() for path in runs.iterdir()} == {request_id}
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id, "functionArn": f"{ARN}:{fn_name}:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "boom: 7"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    time.sleep(1.0)  # longer than the scaled retry delays: nothing more may arrive
    assert len(list(runs.iterdir())) == 3 and len(list(records.iterdir())) == 1


def test_on_failure_queue_ends_in_its_sink(lambda_client: Any, turnout_server: TurnoutProcess,
                                           fn_name: str, tmp_path: Path) -> None:
    queue = f"arn:aws:sqs:us-east-1:000000000000:{fn_name}-failures"
    create(lambda_client, fn_name, Code={"ZipFile": FAILING},
           Environment={"Variables": {"RUN_DIR": str(directory(tmp_path, "runs"))}})
    lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": queue}})
    request_id = invoke_event(lambda_client, fn_name, {"order": 1})
    [message] = eventually(lambda: tail(turnout_server, queue, 1))
    record = json.loads(message["body"])
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_on_success_destination(lambda_client: Any, turnout_server: TurnoutProcess,
                                fn_name: str) -> None:
    topic = f"arn:aws:sns:us-east-1:000000000000:{fn_name}-done"
    create(lambda_client, fn_name, Code={"ZipFile": SUCCEEDING}, Publish=True)
    lambda_client.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    lambda_client.put_function_event_invoke_config(
        FunctionName=fn_name, Qualifier="live",
        DestinationConfig={"OnSuccess": {"Destination": topic}})
    invoke_event(lambda_client, fn_name, {"order": 2})  # $LATEST has no config: no record
    request_id = invoke_event(lambda_client, f"{fn_name}:live", {"order": 3})
    [message] = eventually(lambda: tail(turnout_server, topic, 1))
    record = json.loads(message["Message"])
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["functionArn"] == f"{ARN}:{fn_name}:live"
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"]["executedVersion"] == "1"
    assert record["responsePayload"] == {"handled": 3}
    time.sleep(0.5)
    assert len(tail(turnout_server, topic, 1) or []) == 1


def test_dead_letter_queue_without_on_failure(lambda_client: Any,
                                              turnout_server: TurnoutProcess, fn_name: str,
                                              tmp_path: Path) -> None:
    dead_letters = f"arn:aws:sqs:us-east-1:000000000000:{fn_name}-dlq"
    create(lambda_client, fn_name, Code={"ZipFile": FAILING},
           Environment={"Variables": {"RUN_DIR": str(directory(tmp_path, "runs"))}},
           DeadLetterConfig={"TargetArn": dead_letters})
    lambda_client.put_function_event_invoke_config(FunctionName=fn_name,
                                                   MaximumRetryAttempts=0)
    request_id = invoke_event(lambda_client, fn_name, {"order": 4})
    [message] = eventually(lambda: tail(turnout_server, dead_letters, 1))
    assert json.loads(message["body"]) == {"order": 4}
    attributes = message["messageAttributes"]
    assert attributes["RequestID"]["stringValue"] == request_id
    assert attributes["ErrorMessage"]["stringValue"] == "boom: 4"
