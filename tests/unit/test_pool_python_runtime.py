"""Turnout's Python runtime (bootstrap): handler loading, errors, context, in-process."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from turnout.bootstrap.runtime import InitFault, LambdaContext, invoke, load_handler, log_error


@pytest.fixture
def code(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "good.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "broken.py").write_text("def handler(:\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "inner.py").write_text("def run(event, context):\n    return 1\n")
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in ("good", "broken", "pkg", "pkg.inner"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("nodots", "Runtime.MalformedHandlerName",
     "Bad handler 'nodots': not enough values to unpack (expected 2, got 1)"),
    ("missing_module_xyz.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing_module_xyz': No module named 'missing_module_xyz'"),
    ("good.nothere", "Runtime.HandlerNotFound", "Handler 'nothere' missing on module 'good'"),
    ("broken.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'broken': "),
    ("sys.exit", "Runtime.BuiltInModuleConflict",
     "Cannot use built-in module sys as a handler module"),
])
def test_init_faults_use_lambdas_types_and_messages(code: Path, handler: str, error_type: str,
                                                    message: str) -> None:
    with pytest.raises(InitFault) as caught:
        load_handler(handler)
    assert caught.value.error_type == error_type
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize("handler", ["good.handler", "pkg.inner.run", "pkg/inner.run"])
def test_handlers_load_from_modules_and_packages(code: Path, handler: str) -> None:
    assert callable(load_handler(handler))


def run(handler: Any, body: bytes = b'{"a": 1}') -> tuple[Any, str]:
    headers = {"lambda-runtime-deadline-ms": str(int(time.time() * 1000) + 5000),
               "lambda-runtime-invoked-function-arn": "arn:fn"}
    reply, error_type = invoke(handler, "req-1", headers, body)
    return json.loads(reply), error_type or ""


def test_a_return_value_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(lambda event, context: {"echo": event}) == ({"echo": {"a": 1}}, "")


def test_an_exception_becomes_lambdas_error_document(capsys: pytest.CaptureFixture[str]) -> None:
    def fails(event: object, context: object) -> None:
        raise KeyError("nope")

    document, error_type = run(fails)
    assert error_type == "KeyError"
    assert isinstance(document, dict)
    assert document["errorType"] == "KeyError"
    assert document["errorMessage"] == "'nope'"
    assert document["requestId"] == "req-1"
    assert any("in fails" in frame for frame in document["stackTrace"])
    assert all("bootstrap/runtime.py" not in frame for frame in document["stackTrace"])
    logged = capsys.readouterr().out
    assert logged.startswith("[ERROR] KeyError: 'nope'\nTraceback (most recent call last):\n")


@pytest.mark.parametrize(("handler", "body", "error_type", "message"), [
    (lambda event, context: {1, 2}, b"{}", "Runtime.MarshalError",
     "Unable to marshal response: Object of type set is not JSON serializable"),
    (lambda event, context: 1, b"{not json", "Runtime.UnmarshalError",
     "Unable to unmarshal input: "),
])
def test_marshalling_errors(handler: object, body: bytes, error_type: str, message: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    document, kind = run(handler, body)
    assert kind == error_type
    assert isinstance(document, dict)
    assert str(document["errorMessage"]).startswith(message)


def test_context_has_lambdas_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_LAMBDA_FUNCTION_VERSION": "7",
                        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/orders",
                        "AWS_LAMBDA_LOG_STREAM_NAME": "s"}.items():
        monkeypatch.setenv(name, value)
    LambdaContext.configure()
    deadline = int(time.time() * 1000) + 2000
    context = LambdaContext("req", deadline, "arn:x", '{"custom": {"k": "v"}, "client": '
                            '{"app_title": "t"}}', '{"cognitoIdentityId": "id-1"}')
    assert (context.function_name, context.function_version, context.memory_limit_in_mb) == \
        ("orders", "7", "512")
    assert context.log_group_name == "/aws/lambda/orders"
    assert context.aws_request_id == "req"
    assert context.invoked_function_arn == "arn:x"
    assert 0 < context.get_remaining_time_in_millis() <= 2000
    assert context.client_context is not None
    assert context.client_context.custom == {"k": "v"}
    assert context.client_context.client is not None
    assert context.client_context.client.app_title == "t"
    assert context.identity.cognito_identity_id == "id-1"
    bare = LambdaContext("req", 0, "arn:x", None, None)
    assert bare.client_context is None
    assert bare.identity.cognito_identity_pool_id is None
    assert bare.get_remaining_time_in_millis() == 0


def test_log_error_without_stack(capsys: pytest.CaptureFixture[str]) -> None:
    log_error({"errorType": "Runtime.X", "errorMessage": "m", "stackTrace": []})
    assert capsys.readouterr().out == "[ERROR] Runtime.X: m\n"
