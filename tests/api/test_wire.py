"""The wire itself: unknown routes, unimplemented operations, error shapes, request ids."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers import TurnoutProcess


def _raw(server: TurnoutProcess, method: str, path: str, body: bytes | None = None,
         ) -> tuple[int, Any, dict[str, Any]]:
    request = urllib.request.Request(server.endpoint + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"{}")


def test_unknown_route_is_an_aws_style_404(turnout_server: TurnoutProcess) -> None:
    status, headers, body = _raw(turnout_server, "GET", "/2015-03-31/nothing-here")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert headers["x-amzn-RequestId"]
    assert "GET /2015-03-31/nothing-here" in body["message"]


def test_unimplemented_operation_names_itself(lambda_client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        lambda_client.list_layers()
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ListLayers" in error["Error"]["Message"]


def test_malformed_json_body_is_invalid_request_content(turnout_server: TurnoutProcess) -> None:
    status, headers, body = _raw(turnout_server, "POST", "/2015-03-31/functions", b"{not json")
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    assert body["Type"] == "User"


def test_oversized_invoke_gets_aws_413(turnout_server: TurnoutProcess) -> None:
    status, headers, body = _raw(turnout_server, "POST", "/2015-03-31/functions/f/invocations",
                                 b"x" * (6 * 1024 * 1024 + 1))
    assert status == 413
    assert headers["x-amzn-ErrorType"] == "RequestEntityTooLargeException"
    assert body["message"] == ("Request must be smaller than 6291456 bytes for the "
                               "InvokeFunction operation")
