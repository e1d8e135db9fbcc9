"""Custom runtimes (provided.al2023 / provided.al2) and AWS's own runtime interface client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.component.pool_support import function, run, running_pool

pytestmark = pytest.mark.component

PYTHON_BOOTSTRAP = """\
#!/bin/sh
exec python3 runtime.py
"""
RUNTIME_LOOP = """
import json, os, urllib.request

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
print("custom runtime up", flush=True)
while True:
    with urllib.request.urlopen(api + "next") as answer:
        request_id = answer.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(answer.read())
    if event.get("fail"):
        body = json.dumps({"errorMessage": "nope", "errorType": "Custom.Failure"}).encode()
        request = urllib.request.Request(api + request_id + "/error", data=body,
                                         headers={"Lambda-Runtime-Function-Error-Type":
                                                  "Custom.Failure"})
    else:
        body = json.dumps({"echo": event, "handler": os.environ["_HANDLER"]}).encode()
        request = urllib.request.Request(api + request_id + "/response", data=body)
    urllib.request.urlopen(request).read()
"""
SHELL_BOOTSTRAP = """\
#!/bin/sh
echo "shell runtime: $AWS_LAMBDA_FUNCTION_NAME"
exit 3
"""
RIC_BOOTSTRAP = """\
#!/bin/sh
exec python3 -m awslambdaric index.handler
"""
RIC_HANDLER = """
def handler(event, context):
    print("from awslambdaric", context.aws_request_id)
    return {"got": event, "function": context.function_name}
"""


@pytest.mark.parametrize("runtime", ["provided.al2023", "provided.al2"])
def test_a_custom_bootstrap_speaks_the_runtime_api(tmp_path: Path, runtime: str) -> None:
    spec = function(tmp_path, {"bootstrap": PYTHON_BOOTSTRAP, "runtime.py": RUNTIME_LOOP},
                    runtime=runtime, handler="anything.here", executable=("bootstrap",))

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            first = await pool.invoke(spec, b'{"n": 1}', request_id="req-1",
                                      invoked_arn=spec.function_arn)
            assert json.loads(first.payload) == {"echo": {"n": 1}, "handler": "anything.here"}
            assert first.cold_start and "custom runtime up" in first.log_tail.decode()
            failed = await pool.invoke(spec, b'{"fail": true}', request_id="req-2",
                                       invoked_arn=spec.function_arn)
            assert failed.function_error == "Unhandled"
            assert failed.error_type == "Custom.Failure"
            assert json.loads(failed.payload)["errorMessage"] == "nope"
            assert not failed.cold_start

    run(scenario())


def test_a_bootstrap_that_exits_during_init(tmp_path: Path) -> None:
    spec = function(tmp_path, {"bootstrap": SHELL_BOOTSTRAP}, runtime="provided.al2023",
                    executable=("bootstrap",))

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            result = await pool.invoke(spec, b"{}", request_id="req-x",
                                       invoked_arn=spec.function_arn)
            assert json.loads(result.payload) == {
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: req-x Error: Runtime exited with error: "
                                "exit status 3"}
            assert "shell runtime: fn" in result.log_tail.decode()

    run(scenario())


@pytest.mark.parametrize(("files", "executable", "detail"), [
    ({"other": "x"}, (), "Couldn't find valid bootstrap(s): ["),
    ({"bootstrap": SHELL_BOOTSTRAP}, (), "permission denied"),
])
def test_an_unusable_bootstrap(tmp_path: Path, files: dict[str, str],
                               executable: tuple[str, ...], detail: str) -> None:
    spec = function(tmp_path, files, runtime="provided.al2023", executable=executable)

    async def scenario() -> None:
        async with running_pool(tmp_path / "data") as pool:
            result = await pool.invoke(spec, b"{}", request_id="req-x",
                                       invoked_arn=spec.function_arn)
            document = json.loads(result.payload)
            assert result.function_error == "Unhandled"
            assert document["errorType"] == "Runtime.InvalidEntrypoint"
            assert detail in document["errorMessage"]

    run(scenario())


@pytest.mark.parametrize("use_zygote", [True, False])
def test_awslambdaric_runs_unmodified(tmp_path: Path, use_zygote: bool) -> None:
    spec = function(tmp_path, {"bootstrap": RIC_BOOTSTRAP, "index.py": RIC_HANDLER},
                    runtime="provided.al2023", executable=("bootstrap",))

    async def scenario() -> None:
        async with running_pool(tmp_path / "data", use_zygote=use_zygote) as pool:
            for request_id in ("req-a", "req-b"):
                result = await pool.invoke(spec, b'{"hello": "ric"}', request_id=request_id,
                                           invoked_arn=spec.function_arn)
                assert result.function_error is None, result.payload
                assert json.loads(result.payload) == {"got": {"hello": "ric"},
                                                      "function": "fn"}
                assert f"from awslambdaric {request_id}" in result.log_tail.decode()

    run(scenario(), deadline_s=60)
