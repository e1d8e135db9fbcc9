"""Turnout's Python runtime: loads the handler and serves invocations over the Runtime API.

It gives handlers what AWS's Python runtime gives them (the ``context`` object,
error JSON and ``[ERROR]`` log lines); see
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html and
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html .
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

API = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class RuntimeApiClient:
    """A minimal keep-alive HTTP/1.1 client for the platform's Runtime API endpoint."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._address = (host, int(port))
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._outgoing: list[bytes] = []

    def _connection(self) -> socket.socket:
        if self._sock is None:
            # Not create_connection: its getaddrinfo costs milliseconds in a fresh fork.
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.connect(self._address)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        return self._sock

    def send(self, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None) -> None:
        """Queue one request; it is sent with the next ``receive`` (requests are pipelined)."""
        head = f"{method} {path} HTTP/1.1\r\nHost: runtime\r\nContent-Length: {len(body)}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        self._outgoing.append(head.encode("latin-1") + b"\r\n" + body)

    def receive(self) -> tuple[int, dict[str, str], bytes]:
        """Send what is queued, then read the next answer: (status, lower-cased headers, body)."""
        raw_head = self._head()
        lines = raw_head.decode("latin-1").split("\r\n")
        reply_headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            reply_headers[name.strip().lower()] = value.strip()
        length = int(reply_headers.get("content-length", "0"))
        return int(lines[0].split(" ", 2)[1]), reply_headers, self._body(length)

    def skip(self) -> None:
        """Send what is queued, then read and discard the next answer (e.g. a 202)."""
        raw_head = self._head().lower()
        at = raw_head.find(b"\r\ncontent-length:")
        length = int(raw_head[at + 17:raw_head.find(b"\r\n", at + 17)]) if at >= 0 else 0
        self._body(length)

    def _head(self) -> bytes:
        sock = self._connection()
        if self._outgoing:
            sock.sendall(b"".join(self._outgoing))
            self._outgoing.clear()
        while b"\r\n\r\n" not in self._buffer:
            self._receive(sock)
        raw_head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        return raw_head

    def _body(self, length: int) -> bytes:
        while len(self._buffer) < length:
            self._receive(self._connection())
        reply, self._buffer = self._buffer[:length], self._buffer[length:]
        return reply

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        self.send(method, path, body, headers)
        return self.receive()

    def _receive(self, sock: socket.socket) -> None:
        chunk = sock.recv(262144)
        if not chunk:  # the platform went away: nothing left to serve
            os._exit(0)
        self._buffer += chunk


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
        self.identity = CognitoIdentity(json.loads(cognito_identity) if cognito_identity
                                        else None)
        self._deadline_ms = deadline_ms

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
    client.request("POST", f"{API}/init/error", json.dumps(document).encode(),
                   {ERROR_TYPE_HEADER: error_type})
    os._exit(1)


def invoke(handler: Callable[..., Any], request_id: str, headers: dict[str, str], body: bytes,
           ) -> tuple[bytes, str | None]:
    """Run the handler once; return (response body, error type or None)."""
    try:
        context = LambdaContext(request_id, int(headers.get("lambda-runtime-deadline-ms", "0")),
                                headers.get("lambda-runtime-invoked-function-arn", ""),
                                headers.get("lambda-runtime-client-context"),
                                headers.get("lambda-runtime-cognito-identity"))
        try:
            event = json.loads(body.decode()) if body else {}
        except ValueError as exc:
            return _fail("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}",
                         request_id, [])
        result = handler(event, context)
    except Exception as exc:  # the user's error becomes data
        return _fail(type(exc).__name__, str(exc), request_id, user_stack(exc.__traceback__))
    try:
        return json.dumps(result).encode(), None
    except (TypeError, ValueError, OverflowError) as exc:
        return _fail("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id, [])


def _fail(error_type: str, message: str, request_id: str, stack: list[str],
          ) -> tuple[bytes, str | None]:
    document = error_document(error_type, message, request_id, stack)
    log_error(document)
    return json.dumps(document).encode(), error_type


def main() -> None:
    client = RuntimeApiClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
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
    next_path = f"{API}/invocation/next"
    client.send("GET", next_path)
    while True:
        _, headers, body = client.receive()
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        request_filter.request_id = request_id
        reply, error_type = invoke(handler, request_id, headers, body)
        sys.stdout.flush()
        sys.stderr.flush()
        if error_type is None:
            client.send("POST", f"{API}/invocation/{request_id}/response", reply)
        else:
            client.send("POST", f"{API}/invocation/{request_id}/error", reply,
                        {ERROR_TYPE_HEADER: error_type})
        client.send("GET", next_path)  # pipelined: ask for the next event at once
        client.skip()
