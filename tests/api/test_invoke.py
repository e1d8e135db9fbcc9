"""Invoke through boto3 against a real Turnout: payloads, qualifiers, errors, logs, limits."""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers import make_zip

ROLE = "arn:aws:iam::000000000000:role/test"
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:000000000000:function"

ECHO = """
import os
def handler(event, context):
    print("event", event)
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "client_context": context.client_context.custom if context.client_context else None,
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "LAMBDA_TASK_ROOT", "_HANDLER",
            "AWS_LAMBDA_LOG_GROUP_NAME", "TZ", "AWS_LAMBDA_RUNTIME_API", "GREETING")},
    }
"""


def create(client: Any, name: str, source: str = ECHO, **extra: Any) -> None:
    client.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                           Role=ROLE, Code={"ZipFile": make_zip({"index.py": source})}, **extra)


def invoke(client: Any, **params: Any) -> tuple[dict[str, Any], Any]:
    response = client.invoke(**params)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def test_request_response_sees_what_lambda_gives_a_python_handler(lambda_client: Any,
                                                                   fn_name: str) -> None:
    create(lambda_client, fn_name, MemorySize=256, Environment={"Variables": {"GREETING": "hi"}})
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b'{"n": 1}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert body["event"] == {"n": 1}
    assert body["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert body["function_name"] == fn_name
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == f"{ACCOUNT_ARN}:{fn_name}"
    assert body["memory_limit_in_mb"] == "256"
    assert body["log_group_name"] == f"/aws/lambda/{fn_name}"
    assert 0 < body["remaining_ms"] <= 3000
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == fn_name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "index.handler"
    assert env["GREETING"] == "hi"
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")


def test_client_context_reaches_the_handler(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    _, body = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}", ClientContext=context)
    assert body["client_context"] == {"tenant": "t1"}
    with pytest.raises(ClientError) as caught:
        lambda_client.invoke(FunctionName=fn_name, ClientContext="not base64 json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"


@pytest.mark.parametrize("form", ["name:qualifier", "partial-arn", "full-arn", "Qualifier"])
def test_every_form_of_function_name_reaches_the_version(lambda_client: Any, fn_name: str,
                                                          form: str) -> None:
    create(lambda_client, fn_name)
    lambda_client.publish_version(FunctionName=fn_name)
    lambda_client.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    params = {
        "name:qualifier": {"FunctionName": f"{fn_name}:live"},
        "partial-arn": {"FunctionName": f"000000000000:function:{fn_name}:live"},
        "full-arn": {"FunctionName": f"{ACCOUNT_ARN}:{fn_name}:live"},
        "Qualifier": {"FunctionName": fn_name, "Qualifier": "live"},
    }[form]
    response, body = invoke(lambda_client, Payload=b"{}", **params)
    assert response["ExecutedVersion"] == "1"
    assert body["function_version"] == "1"
    assert body["invoked_function_arn"] == f"{ACCOUNT_ARN}:{fn_name}:live"


@pytest.mark.parametrize(("params", "code", "message"), [
    ({"FunctionName": "absent-function"}, "ResourceNotFoundException",
     f"Function not found: {ACCOUNT_ARN}:absent-function"),
    ({"FunctionName": "{name}", "Qualifier": "9"}, "ResourceNotFoundException",
     f"Function not found: {ACCOUNT_ARN}:{{name}}:9"),
    ({"FunctionName": "{name}", "Qualifier": "nosuchalias"}, "ResourceNotFoundException",
     f"Function not found: {ACCOUNT_ARN}:{{name}}:nosuchalias"),
    ({"FunctionName": "{name}:1", "Qualifier": "2"}, "InvalidParameterValueException",
     "The derived qualifier from the function name does not match the specified qualifier."),
    ({"FunctionName": "{name}", "Payload": b"not json"}, "InvalidRequestContentException",
     "Could not parse request body into json"),
    ({"FunctionName": "{name}", "InvocationType": "Sometimes"}, "ValidationException",
     "Member must satisfy enum value set"),
])
def test_bad_invocations_get_aws_errors(lambda_client: Any, fn_name: str, params: dict[str, Any],
                                        code: str, message: str) -> None:
    create(lambda_client, fn_name)
    resolved = {k: v.replace("{name}", fn_name) if isinstance(v, str) else v
                for k, v in params.items()}
    with pytest.raises(ClientError) as caught:
        lambda_client.invoke(**resolved)
    assert caught.value.response["Error"]["Code"] == code
    assert message.replace("{name}", fn_name) in caught.value.response["Error"]["Message"]


def test_log_tail_holds_this_invocation_with_init_duration_only_when_cold(
        lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    tails = []
    for _ in range(2):
        response, _ = invoke(lambda_client, FunctionName=fn_name, Payload=b'{"x": 1}',
                             LogType="Tail")
        tails.append((response["ResponseMetadata"]["RequestId"],
                      base64.b64decode(response["LogResult"]).decode()))
    for request_id, tail in tails:
        assert f"START RequestId: {request_id} Version: $LATEST" in tail
        assert "event {'x': 1}" in tail
        assert f"END RequestId: {request_id}" in tail
        assert f"REPORT RequestId: {request_id}\tDuration: " in tail
        assert "Billed Duration: " in tail and "Memory Size: 128 MB" in tail
    assert "Init Duration: " in tails[0][1]
    assert "Init Duration: " not in tails[1][1]


def test_dry_run_and_event(lambda_client: Any, turnout_server: Any, fn_name: str) -> None:
    create(lambda_client, fn_name)
    assert lambda_client.invoke(FunctionName=fn_name, InvocationType="DryRun")["StatusCode"] == 204
    response = lambda_client.invoke(FunctionName=fn_name, InvocationType="Event",
                                    Payload=b'{"async": true}')
    assert response["StatusCode"] == 202
    request_id = response["ResponseMetadata"]["RequestId"]
    log = turnout_server.data_dir / "logs" / fn_name / "$LATEST.log"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if log.exists() and f"END RequestId: {request_id}" in log.read_text():
            return
        time.sleep(0.02)
    pytest.fail("the asynchronous event did not run")


@pytest.mark.parametrize(("source", "error_type", "message_part"), [
    ("def handler(e, c):\n    raise ValueError('boom')\n", "ValueError", "boom"),
    ("import nosuchmodule\ndef handler(e, c):\n    return 1\n", "Runtime.ImportModuleError",
     "No module named 'nosuchmodule'"),
    ("def other(e, c):\n    return 1\n", "Runtime.HandlerNotFound", "handler"),
    ("import os\ndef handler(e, c):\n    os._exit(3)\n", "Runtime.ExitError",
     "Runtime exited with error: exit status 3"),
    ("def handler(e, c):\n    return object()\n", "Runtime.MarshalError", "Unable to marshal"),
])
def test_function_errors_are_200_with_x_amz_function_error(lambda_client: Any, fn_name: str,
                                                            source: str, error_type: str,
                                                            message_part: str) -> None:
    create(lambda_client, fn_name, source=source)
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert message_part in body["errorMessage"]


def test_handler_exception_carries_request_id_and_stack_trace(lambda_client: Any,
                                                               fn_name: str) -> None:
    create(lambda_client, fn_name, source="def handler(e, c):\n    raise KeyError('k')\n")
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]


def test_timeout_is_reported_and_the_next_call_gets_a_fresh_environment(
        lambda_client: Any, fn_name: str) -> None:
    source = ("import time\nCOUNT = []\ndef handler(e, c):\n    COUNT.append(1)\n"
              "    if e.get('sleep'):\n        time.sleep(5)\n    return len(COUNT)\n")
    create(lambda_client, fn_name, source=source, Timeout=1)
    invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b'{"sleep": true}')
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    _, count = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    assert count == 1  # a new environment: module state started again


def test_memory_beyond_memory_size_is_out_of_memory(lambda_client: Any, fn_name: str) -> None:
    source = ("def handler(e, c):\n    blocks = [bytearray(16 * 1024 * 1024) for _ in range(40)]\n"
              "    for b in blocks:\n        b[::4096] = b'x' * len(b[::4096])\n"
              "    return len(blocks)\n")
    create(lambda_client, fn_name, source=source, MemorySize=128)
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"


def test_response_over_6_mb_is_a_function_error(lambda_client: Any, fn_name: str) -> None:
    create(lambda_client, fn_name, source="def handler(e, c):\n    return 'x' * 7_000_000\n")
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"


def test_a_function_invokes_another_with_a_default_boto3_client(lambda_client: Any,
                                                                fn_name: str) -> None:
    create(lambda_client, f"{fn_name}-callee")
    caller = (f"import boto3, json\nCLIENT = boto3.client('lambda')\n"
              f"def handler(e, c):\n"
              f"    r = CLIENT.invoke(FunctionName='{fn_name}-callee', Payload=b'{{\"a\": 1}}')\n"
              f"    return json.loads(r['Payload'].read())['event']\n")
    create(lambda_client, fn_name, source=caller, Timeout=30)
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b"{}")
    assert "FunctionError" not in response, body
    assert body == {"a": 1}


def test_custom_runtime_bootstrap_runs_through_the_api(lambda_client: Any, fn_name: str) -> None:
    bootstrap = f"""#!{sys.executable}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation"
while True:
    with urllib.request.urlopen(api + "/next") as event:
        request_id = event.headers["Lambda-Runtime-Aws-Request-Id"]
        body = json.dumps({{"echo": json.loads(event.read())}}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{{api}}/{{request_id}}/response", body))
"""
    lambda_client.create_function(FunctionName=fn_name, Runtime="provided.al2023",
                                  Handler="unused", Role=ROLE,
                                  Code={"ZipFile": make_zip({"bootstrap": bootstrap}, 0o755)})
    response, body = invoke(lambda_client, FunctionName=fn_name, Payload=b'{"k": 2}')
    assert "FunctionError" not in response, body
    assert body == {"echo": {"k": 2}}
