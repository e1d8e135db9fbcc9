"""Small helpers for the control-plane API tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers import make_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
ARN = "arn:aws:lambda:us-east-1:000000000000:function"
CODE = make_zip({"app.py": "def handler(event, context):\n    return event\n"})


def create(client: Any, name: str, **options: Any) -> dict[str, Any]:
    """CreateFunction with a small Python function; ``options`` override the request."""
    request: dict[str, Any] = {"FunctionName": name, "Runtime": "python3.12", "Role": ROLE,
                               "Handler": "app.handler", "Code": {"ZipFile": CODE}}
    request.update(options)
    return client.create_function(**request)  # type: ignore[no-any-return]


def refusal(call: Callable[[], Any]) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"],
            response["Error"]["Message"])


def new_version(client: Any, name: str, timeout: int) -> str:
    """Change ``$LATEST`` and publish it; returns the new version number."""
    client.update_function_configuration(FunctionName=name, Timeout=timeout)
    return str(client.publish_version(FunctionName=name)["Version"])
