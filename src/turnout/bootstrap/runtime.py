"""Turnout's Python runtime: loads the handler and serves invocations over the Runtime API.

It gives handlers what AWS's Python runtime gives them (the ``context`` object,
error JSON and ``[ERROR]`` log lines); see
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html and
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html .
The HTTP client is ``runtime_client``; ``_X_AMZN_TRACE_ID`` is set through
``trace_variable``. Everything in ``main``'s loop runs once per warm invocation:
``bench/bench_runtime_loop.py`` counts its cost.
"""

from __future__ import annotations

import functools
import importlib
import json
import json.scanner
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, cast

from turnout.bootstrap.runtime_client import (
    API,
    ERROR_TYPE_HEADER,
    RuntimeApiClient,
    answer_request,
)
from turnout.bootstrap.trace_variable import ReusedVariable


class InitFault(Exception):
    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def load_handler(handler: str) -> Callable[..., Any]:
    """Import ``module.function`` (dotted or slashed module paths) the way Lambda does."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise InitFault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}") from exc
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise InitFault("Runtime.BuiltInModuleConflict",
                        f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise InitFault("Runtime.ImportModuleError",
                        f"Unable to import module '{module_name}': {exc}") from exc
    except SyntaxError as exc:
        stack = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise InitFault("Runtime.UserCodeSyntaxError",
                        f"Syntax error in module '{module_name}': {exc}", stack) from exc
    try:
        return getattr(module, function_name)  # type: ignore[no-any-return]
    except AttributeError as exc:
        raise InitFault("Runtime.HandlerNotFound",
                        f"Handler '{function_name}' missing on module '{module_name}'") from exc


def user_stack(tb: Any) -> list[str]:
    """The traceback as Lambda's ``stackTrace``: formatted frames, runtime frames removed."""
    frames = [frame for frame in traceback.extract_tb(tb) if frame.filename != __file__]
    return traceback.format_list(frames)


def error_document(error_type: str, message: str, request_id: str, stack: list[str],
                   ) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": stack}


def log_error(document: dict[str, Any]) -> None:
    """``[ERROR] Type: message`` and the traceback, as AWS's Python runtime logs them."""
    lines = [f"[ERROR] {document['errorType']}: {document['errorMessage']}"]
    stack = document.get("stackTrace")
    if stack:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            lines.extend(element.rstrip("\n").splitlines())
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        document = document or {}
        self.cognito_identity_id = document.get("cognitoIdentityId")
        self.cognito_identity_pool_id = document.get("cognitoIdentityPoolId")


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, document: dict[str, Any]) -> None:
        self.installation_id = document.get("installation_id")
        self.app_title = document.get("app_title")
        self.app_version_name = document.get("app_version_name")
        self.app_version_code = document.get("app_version_code")
        self.app_package_name = document.get("app_package_name")


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, document: dict[str, Any]) -> None:
        client = document.get("client")
        self.client = Client(client) if client else None
        self.custom = document.get("custom")
        self.env = document.get("env")


class LambdaContext:
    """The ``context`` argument of a handler, with the attributes Lambda documents.

    What is the same for every invocation is read from the environment once (``configure``).
    """

    function_name: str | None = None
    function_version: str | None = None
    memory_limit_in_mb: str | None = None
    log_group_name: str | None = None
    log_stream_name: str | None = None

    @classmethod
    def configure(cls) -> None:
        env = os.environ
        cls.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        cls.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        cls.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        cls.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        cls.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str,
                 client_context: str | None, cognito_identity: str | None) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.client_context = ClientContext(json.loads(client_context)) if client_context \
            else None
        self._identity = json.loads(cognito_identity) if cognito_identity else None
        self._deadline_ms = deadline_ms

    @functools.cached_property
    def identity(self) -> CognitoIdentity:
        """Built on first use (few handlers look); a malformed header fails before the handler."""
        return CognitoIdentity(self._identity)

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def install_logging() -> _RequestIdFilter:
    """The root logger writes ``[LEVEL]\\ttime\\trequest id\\tmessage`` like Lambda's."""
    request_filter = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(request_filter)
    logging.getLogger().addHandler(handler)
    return request_filter


def report_init_failure(client: RuntimeApiClient, error_type: str, message: str,
                        stack: list[str]) -> NoReturn:
    document = error_document(error_type, message, "", stack)
    log_error(document)
    client.request("POST", f"{API}/init/error", encode_json(document),
                   {ERROR_TYPE_HEADER: error_type})
    os._exit(1)


# json's own scanner for a default JSONDecoder (the typeshed stub wants another scanner).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    cast(Any, json.JSONDecoder()))
_ENCODER = json.JSONEncoder()


def decode_event(body: bytes) -> Any:
    """The event, as ``json.loads(body.decode())`` gives it (``{}`` for an empty body).

    A document with nothing around it goes straight to json's scanner (``json.loads``
    adds three Python calls and two regex matches); anything else (surrounding
    whitespace, trailing data, an error) is left to ``json.loads`` itself, so results
    and error messages stay json's.
    """
    if not body:
        return {}
    text = body.decode()
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):  # no value at 0 (e.g. whitespace), or not JSON
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


def _c_encoder() -> Any:
    """json's C encoder with ``json.dumps``' defaults, built once (``dumps`` builds one per
    call, about half of its cost for a small document); None without the accelerator.

    It keeps no record of the containers it is inside of (``check_circular=False``):
    a circular reference then ends in RecursionError, and ``encode_json`` lets
    ``json.dumps`` say what went wrong.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    return make(None, _ENCODER.default, json.encoder.encode_basestring_ascii, None,
                _ENCODER.key_separator, _ENCODER.item_separator, False, False, True)


_C_ENCODE = _c_encoder()


def encode_json(value: Any) -> bytes:
    """``json.dumps(value).encode()``: the same bytes, and the same errors."""
    if _C_ENCODE is None:
        return json.dumps(value).encode()
    try:
        return "".join(_C_ENCODE(value, 0)).encode()
    except RecursionError:  # circular, or too deep: json.dumps raises what it raises
        return json.dumps(value).encode()


def invoke(handler: Callable[..., Any], request_id: str, headers: dict[str, str], body: bytes,
           ) -> tuple[bytes, str | None]:
    """Run the handler once; return (response body, error type or None)."""
    try:
        context = LambdaContext(request_id, int(headers.get("lambda-runtime-deadline-ms", "0")),
                                headers.get("lambda-runtime-invoked-function-arn", ""),
                                headers.get("lambda-runtime-client-context"),
                                headers.get("lambda-runtime-cognito-identity"))
        try:
            event = decode_event(body)
        except ValueError as exc:
            return _fail("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}",
                         request_id, [])
        result = handler(event, context)
    except Exception as exc:  # the user's error becomes data
        return _fail(type(exc).__name__, str(exc), request_id, user_stack(exc.__traceback__))
    try:
        return encode_json(result), None
    except (TypeError, ValueError, OverflowError) as exc:
        return _fail("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id, [])


def _fail(error_type: str, message: str, request_id: str, stack: list[str],
          ) -> tuple[bytes, str | None]:
    document = error_document(error_type, message, request_id, stack)
    log_error(document)
    return encode_json(document), error_type


# For as long as the process: the C environment points into it once set.
TRACE_ID = ReusedVariable("_X_AMZN_TRACE_ID")


def main(private_fd: int | None = None) -> None:
    """Run the function: Init, then invocations until the platform goes away.

    ``private_fd``: the Unix socket the platform connected to this environment's
    Runtime API (see ``turnout.pool.environment``); TCP to ``AWS_LAMBDA_RUNTIME_API``
    without one.
    """
    client = RuntimeApiClient(os.environ["AWS_LAMBDA_RUNTIME_API"], private_fd)
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    request_filter = install_logging()
    LambdaContext.configure()
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except InitFault as fault:
        report_init_failure(client, fault.error_type, fault.message, fault.stack)
    except Exception as exc:  # an error raised by the module's own Init code
        report_init_failure(client, type(exc).__name__, str(exc), user_stack(exc.__traceback__))
    answer = b""
    while True:
        headers, body = client.next_event(answer)
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            TRACE_ID.set(trace_id)
        request_filter.request_id = request_id
        reply, error_type = invoke(handler, request_id, headers, body)
        sys.stdout.flush()
        sys.stderr.flush()
        answer = answer_request(request_id, reply, error_type)
