"""Environment variables of an execution environment and how platform errors are worded."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from turnout.pool.environment import exit_description, platform_error
from turnout.pool.interpreters import Interpreters, variable_name
from turnout.pool.spec import EnvironmentSpec
from turnout.pool.variables import environment_variables


def spec(runtime: str = "python3.12", **environment: str) -> EnvironmentSpec:
    return EnvironmentSpec(
        function_name="orders", version="3", function_arn="arn:aws:lambda:us-east-1:"
        "000000000000:function:orders", code_dir=Path("/code"), code_sha256="x",
        revision_id="r", handler="app.main", runtime=runtime, memory_mb=256, timeout_s=5,
        environment=environment)


def variables(s: EnvironmentSpec, provisioned: bool = False) -> dict[str, str]:
    return environment_variables(  # type: ignore[no-any-return]
        s, region="eu-west-1", endpoint="http://127.0.0.1:9001", runtime_api="127.0.0.1:4000",
        log_stream="2024/01/01/[3]abc", tmpdir="/tmp/env", interpreter="/venv/bin/python",
        runtime_dir="/rt", provisioned=provisioned)


def test_lambda_variables() -> None:
    v = variables(spec())
    assert v["AWS_LAMBDA_FUNCTION_NAME"] == "orders"
    assert v["AWS_LAMBDA_FUNCTION_VERSION"] == "3"
    assert v["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert v["AWS_REGION"] == v["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert v["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert v["LAMBDA_TASK_ROOT"] == "/code"
    assert v["_HANDLER"] == "app.main"
    assert v["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/orders"
    assert v["AWS_LAMBDA_LOG_STREAM_NAME"] == "2024/01/01/[3]abc"
    assert v["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:4000"
    assert v["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert v["TZ"] == ":UTC"
    assert v["TMPDIR"] == "/tmp/env"
    assert v["PATH"].startswith("/venv/bin:")
    assert v["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9001"
    assert v["AWS_ACCESS_KEY_ID"] and v["AWS_SECRET_ACCESS_KEY"]
    assert v["AWS_CONFIG_FILE"] == v["AWS_SHARED_CREDENTIALS_FILE"] == "/dev/null"


def test_provisioned_initialization_type() -> None:
    assert variables(spec(), provisioned=True)["AWS_LAMBDA_INITIALIZATION_TYPE"] == \
        "provisioned-concurrency"


def test_custom_runtime_has_no_python_execution_env() -> None:
    assert "AWS_EXECUTION_ENV" not in variables(spec("provided.al2023"))


@pytest.mark.parametrize(("name", "value", "kept"), [
    ("MY_SETTING", "1", "1"),  # the function's own
    ("AWS_ENDPOINT_URL", "http://elsewhere", "http://elsewhere"),  # may replace conveniences
    ("AWS_REGION", "mars-1", "eu-west-1"),  # reserved: Lambda's value wins
    ("_HANDLER", "x.y", "app.main"),
])
def test_function_variables_and_reserved_names(name: str, value: str, kept: str) -> None:
    assert variables(spec(**{name: value}))[name] == kept


@pytest.mark.parametrize(("status", "words"), [
    (1 << 8, "exit status 1"),
    (0, "exit status 0"),
    (signal.SIGKILL, "signal: killed"),
    (signal.SIGSEGV, "signal: segmentation fault"),
    (signal.SIGABRT, "signal: aborted"),
])
def test_exit_description(status: int, words: str) -> None:
    assert exit_description(status) == words


def test_platform_error_document() -> None:
    assert json.loads(platform_error("Sandbox.Timedout", "r-1", "Task timed out after 3.00 "
                                     "seconds")) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: r-1 Error: Task timed out after 3.00 seconds"}


def test_interpreters_by_configuration(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert variable_name("python3.12") == "TURNOUT_RUNTIME_PYTHON3_12"
    mapped = Interpreters({"TURNOUT_RUNTIME_PYTHON3_9": "/bin/sh"}, host="/host/python")
    assert mapped.resolve("python3.9") == "/bin/sh"
    assert mapped.resolve("python3.99") == "/host/python"
    assert mapped.resolve("python3.99") == "/host/python"
    assert sum("python3.99" in message for message in caplog.messages) == 1  # warned once
