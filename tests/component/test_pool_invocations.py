"""Real worker processes: cold and warm starts, errors, timeouts, crashes, memory."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.component.pool_support import (
    function,
    pid_of,
    run,
    running_pool,
    until_gone,
)
from turnout.pool.launcher import Zygote

pytestmark = pytest.mark.component

HANDLER = """
import json, os, sys, time
print("init output")

def handler(event, context):
    action = event.get("action")
    print("handling", context.aws_request_id)
    if action == "raise":
        raise ValueError("bad input")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        sys.stdout.flush()
        os._exit(1)
    if action == "allocate":
        hog = bytearray(event["mb"] * 1024 * 1024)
        time.sleep(2)
    if action == "shout":
        for i in range(2000):
            print("line", i)
    if action == "set":
        return {1, 2}
    return {"pid": os.getpid(), "request_id": context.aws_request_id}
"""


def invoke(pool, spec, event: dict[str, object], request_id: str = "req"):  # type: ignore[no-untyped-def]
    return pool.invoke(spec, json.dumps(event).encode(), request_id=request_id,
                       invoked_arn=spec.function_arn + ":$LATEST")


def test_cold_then_warm(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            cold = await invoke(pool, spec, {}, "req-cold")
            warm = await invoke(pool, spec, {}, "req-warm")
            assert cold.function_error is None and warm.function_error is None
            assert cold.cold_start and not warm.cold_start
            assert pid_of(cold.payload) == pid_of(warm.payload)  # the same environment
            assert json.loads(warm.payload)["request_id"] == "req-warm"
            assert cold.init_duration_ms is not None and warm.init_duration_ms is None
            cold_log = cold.log_tail.decode()
            assert cold_log.startswith("init output\nSTART RequestId: req-cold Version: $LATEST\n")
            assert "handling req-cold\nEND RequestId: req-cold\nREPORT RequestId: req-cold\t" \
                in cold_log
            assert "\tInit Duration: " in cold_log
            assert "Init Duration" not in warm.log_tail.decode()
            assert "Memory Size: 128 MB" in warm.log_tail.decode()
            assert warm.executed_version == "$LATEST"
            assert warm.max_memory_mb > 0 and "Billed Duration: " in warm.log_tail.decode()
            lines, _ = pool._logs.read("fn", "$LATEST")
            assert lines.count("END RequestId: req-warm") == 1
            assert pool.stats().by_state["IDLE"] == 1

    run(scenario())


def test_handler_errors_are_results(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            failed = await invoke(pool, spec, {"action": "raise"}, "req-raise")
            document = json.loads(failed.payload)
            assert failed.function_error == "Unhandled"
            assert failed.error_type == "ValueError"
            assert document["errorType"] == "ValueError"
            assert document["errorMessage"] == "bad input"
            assert document["requestId"] == "req-raise"
            assert "[ERROR] ValueError: bad input" in failed.log_tail.decode()
            marshal = await invoke(pool, spec, {"action": "set"})
            assert json.loads(marshal.payload)["errorType"] == "Runtime.MarshalError"
            after = await invoke(pool, spec, {})  # the environment survives handler errors
            assert not after.cold_start

    run(scenario())


def test_output_printed_before_returning_is_in_its_own_tail(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            await invoke(pool, spec, {})
            loud = await invoke(pool, spec, {"action": "shout"}, "req-loud")
            tail = loud.log_tail.decode()
            assert "line 1999\nEND RequestId: req-loud" in tail
            assert len(loud.log_tail) == 4096
            lines, _ = pool._logs.read("fn", "$LATEST")
            assert "line 0" in lines

    run(scenario())


def test_each_invocations_output_lands_in_its_own_record(tmp_path: Path) -> None:
    """Concurrent environments, each printing its request id: no line strays into another
    invocation's record (the platform relies on the order in which the output pipe and the
    Runtime API socket become readable)."""
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            async def one(n: int) -> None:
                result = await invoke(pool, spec, {}, f"req-{n}")
                tail = result.log_tail.decode()
                assert f"handling req-{n}\nEND RequestId: req-{n}" in tail, tail
                assert tail.count("handling") == 1, tail

            for batch in range(10):
                await asyncio.gather(*(one(batch * 8 + k) for k in range(8)))

    run(scenario())


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("missing.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing': No module named 'missing'"),
    ("index.nothere", "Runtime.HandlerNotFound", "Handler 'nothere' missing on module 'index'"),
    ("crashy.handler", "RuntimeError", "init failed"),
])
def test_init_errors(tmp_path: Path, handler: str, error_type: str, message: str) -> None:
    spec = function(tmp_path, {"index.py": HANDLER,
                               "crashy.py": "raise RuntimeError('init failed')\n"},
                    handler=handler)

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            result = await invoke(pool, spec, {})
            document = json.loads(result.payload)
            assert result.function_error == "Unhandled"
            assert (document["errorType"], document["errorMessage"]) == (error_type, message)
            assert f"[ERROR] {error_type}: {message}" in result.log_tail.decode()
            assert pool.stats().environments == 0

    run(scenario())


def test_timeout_kills_the_environment(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER}, timeout_s=1)

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            first = await invoke(pool, spec, {}, "req-first")
            timed_out = await invoke(pool, spec, {"action": "sleep", "seconds": 10}, "req-slow")
            assert timed_out.function_error == "Unhandled"
            assert json.loads(timed_out.payload) == {
                "errorType": "Sandbox.Timedout",
                "errorMessage": "RequestId: req-slow Error: Task timed out after 1.00 seconds"}
            assert "req-slow Task timed out after 1.00 seconds\n" in timed_out.log_tail.decode()
            assert 1000 <= timed_out.duration_ms < 3000
            fresh = await invoke(pool, spec, {}, "req-fresh")
            assert fresh.cold_start
            assert pid_of(fresh.payload, fresh.log_tail) != pid_of(first.payload)
            await until_gone([pid_of(first.payload)])

    run(scenario())


def test_a_deadline_belongs_to_its_own_invocation(tmp_path: Path) -> None:
    """The next invocation in the same environment is measured against its own deadline,
    not the one of the invocation before it (which ended just short of its own)."""
    spec = function(tmp_path, {"index.py": HANDLER}, timeout_s=2)

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            long = await invoke(pool, spec, {"action": "sleep", "seconds": 1.85}, "req-long")
            assert long.function_error is None, long.payload
            after = await invoke(pool, spec, {"action": "sleep", "seconds": 0.3}, "req-after")
            assert after.function_error is None, after.payload
            assert pid_of(after.payload) == pid_of(long.payload)

    run(scenario())


def test_exit_during_an_invocation(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            await invoke(pool, spec, {})
            crashed = await invoke(pool, spec, {"action": "exit"}, "req-exit")
            assert json.loads(crashed.payload) == {
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: req-exit Error: Runtime exited with error: "
                                "exit status 1"}
            assert crashed.function_error == "Unhandled"
            assert (await invoke(pool, spec, {})).cold_start

    run(scenario())


def test_memory_over_the_limit(tmp_path: Path) -> None:
    spec = function(tmp_path, {"index.py": HANDLER}, memory_mb=128)

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            result = await invoke(pool, spec, {"action": "allocate", "mb": 300}, "req-oom")
            assert json.loads(result.payload) == {
                "errorType": "Runtime.OutOfMemory",
                "errorMessage": "RequestId: req-oom Error: Runtime exited with error: "
                                "signal: killed"}
            assert result.max_memory_mb >= 128
            assert (await invoke(pool, spec, {})).cold_start

    run(scenario())


ENVIRONMENT = """
import os, subprocess, sys, boto3, tempfile

def handler(event, context):
    names = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
             "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "_HANDLER", "TZ", "MY_VAR",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_ENDPOINT_URL",
             "AWS_LAMBDA_LOG_STREAM_NAME", "_X_AMZN_TRACE_ID"]
    client = boto3.client("lambda")
    tmp = tempfile.gettempdir()
    return {"env": {name: os.environ.get(name) for name in names},
            "endpoint": client.meta.endpoint_url, "region": client.meta.region_name,
            "cwd": os.getcwd(), "tmp": tmp, "tmp_exists": os.path.isdir(tmp),
            "pgid_is_pid": os.getpgid(0) == os.getpid(), "pid": os.getpid(),
            "child_fds": subprocess.run(
                [sys.executable, "-c", "import os; print(len(os.listdir('/proc/self/fd')))"],
                capture_output=True, text=True, close_fds=False).stdout.strip(),
            "context": [context.function_name, context.function_version,
                        context.memory_limit_in_mb, context.invoked_function_arn,
                        context.log_group_name, context.log_stream_name,
                        context.client_context.custom if context.client_context else None,
                        context.identity.cognito_identity_id]}
"""


@pytest.mark.parametrize("use_zygote", [True, False])
def test_what_a_function_sees(tmp_path: Path, use_zygote: bool) -> None:
    spec = function(tmp_path, {"index.py": ENVIRONMENT}, name="orders", memory_mb=256,
                    environment={"MY_VAR": "mine"})

    async def scenario() -> str:
        async with running_pool(tmp_path / "data", use_zygote=use_zygote, port=9555,
                                region="eu-west-1") as pool:
            result = await pool.invoke(
                spec, b"{}", request_id="req-env", invoked_arn=spec.function_arn + ":live",
                client_context='{"custom": {"k": "v"}}',
                cognito_identity='{"cognitoIdentityId": "id-1"}')
            seen = json.loads(result.payload)
            env = seen["env"]
            assert env["AWS_LAMBDA_FUNCTION_NAME"] == "orders"
            assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
            assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
            assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
            assert env["LAMBDA_TASK_ROOT"] == str(spec.code_dir) == seen["cwd"]
            assert env["_HANDLER"] == "index.handler"
            assert env["TZ"] == ":UTC"
            assert env["MY_VAR"] == "mine"
            assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/orders"
            assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
            assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
            assert seen["endpoint"] == "http://127.0.0.1:9555"
            assert seen["region"] == "eu-west-1"
            assert seen["tmp_exists"] and seen["tmp"] != "/tmp"
            assert seen["pgid_is_pid"]
            # Turnout's Python runtime talks over its private Unix socket, not TCP, and
            # the function's child processes inherit nothing but stdin, stdout, stderr
            # (and the descriptor listing /proc/self/fd).
            worker = psutil.Process(seen["pid"])
            assert worker.net_connections(kind="tcp") == []
            assert len(worker.net_connections(kind="unix")) == 1
            assert seen["child_fds"] == "4"
            assert seen["context"] == [
                "orders", "$LATEST", "256", spec.function_arn + ":live", "/aws/lambda/orders",
                env["AWS_LAMBDA_LOG_STREAM_NAME"], {"k": "v"}, "id-1"]
            assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
            pool.retire("orders")
            await until_gone([seen["pid"]])
            return str(seen["tmp"])

    tmp = run(scenario())
    assert not Path(tmp).exists()  # the private temporary directory went with it


@pytest.mark.parametrize(("handler", "error_type"), [
    ("index.handler", None), ("missing.handler", "Runtime.ImportModuleError")])
def test_a_worker_can_be_quicker_than_the_answer_naming_its_pid(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handler: str,
        error_type: str | None) -> None:
    spec = function(tmp_path, {"index.py": HANDLER}, handler=handler)
    real_spawn = Zygote.spawn

    async def late_spawn(self: Zygote, *args: Any) -> int:
        pid = await real_spawn(self, *args)
        await asyncio.sleep(0.3)  # the worker's first request arrives meanwhile
        return pid

    monkeypatch.setattr(Zygote, "spawn", late_spawn)

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            result = await invoke(pool, spec, {})
            assert result.error_type == error_type, result.payload
            assert result.cold_start

    run(scenario(), deadline_s=8)


@pytest.mark.parametrize(("poll_us", "at_least_s", "at_most_s"), [
    (0, 0.0, 0.02),  # sleeps until the answer
    (40_000, 0.01, 0.15),  # polls for 40 ms of the 300 ms, then sleeps
])
def test_the_loop_polls_only_briefly_while_a_lone_invocation_runs(
        tmp_path: Path, poll_us: int, at_least_s: float, at_most_s: float) -> None:
    spec = function(tmp_path, {"index.py": HANDLER})

    async def scenario() -> float:
        async with running_pool(tmp_path / "data", wait_poll_us=poll_us) as pool:
            await invoke(pool, spec, {})
            before = time.thread_time()
            await invoke(pool, spec, {"action": "sleep", "seconds": 0.3})
            return time.thread_time() - before

    assert at_least_s <= run(scenario()) <= at_most_s
