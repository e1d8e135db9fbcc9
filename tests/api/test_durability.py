"""Everything acknowledged survives kill -9, and refused requests harm nothing stored."""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

from tests.api.control_kit import create, new_version, refusal
from tests.helpers import TurnoutProcess
from tests.helpers import lambda_client as make_client


def snapshot(client: Any, name: str) -> dict[str, Any]:
    def clean(response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    function = client.get_function(FunctionName=name)
    return {
        "configuration": function["Configuration"],
        "tags": function.get("Tags"),
        "code_sha256": function["Configuration"]["CodeSha256"],
        "versions": clean(client.list_versions_by_function(FunctionName=name)),
        "aliases": clean(client.list_aliases(FunctionName=name)),
    }


def test_acknowledged_state_survives_kill_9(fresh_server: TurnoutProcess) -> None:
    client = make_client(fresh_server.endpoint)
    create(client, "durable", Tags={"keep": "me"}, Environment={"Variables": {"KEY": "v"}})
    new_version(client, "durable", 7)
    new_version(client, "durable", 8)
    client.delete_function(FunctionName="durable", Qualifier="1")
    client.create_alias(FunctionName="durable", Name="live", FunctionVersion="2")
    client.update_alias(FunctionName="durable", Name="live", Description="weighted",
                        FunctionVersion="$LATEST")
    create(client, "gone")
    client.delete_function(FunctionName="gone")
    before = snapshot(client, "durable")

    fresh_server.kill()
    fresh_server.start()
    client = make_client(fresh_server.endpoint)

    assert snapshot(client, "durable") == before
    assert refusal(lambda: client.get_function(FunctionName="gone"))[0] == 404
    assert new_version(client, "durable", 9) == "3"
    code_dir = fresh_server.data_dir / "code"
    assert not [p for p in code_dir.iterdir() if ".tmp" in p.name]


def test_refused_requests_harm_nothing(fresh_server: TurnoutProcess) -> None:
    client = make_client(fresh_server.endpoint)
    create(client, "kept", Publish=True)
    client.create_alias(FunctionName="kept", Name="live", FunctionVersion="1")
    before = snapshot(client, "kept")
    attempts = [
        lambda: create(client, "kept"),
        lambda: client.update_function_code(FunctionName="kept", ZipFile=b"not a zip"),
        lambda: client.update_function_configuration(FunctionName="kept", Timeout=901),
        lambda: client.update_function_configuration(
            FunctionName="kept", Environment={"Variables": {"AWS_REGION": "x"}}),
        lambda: client.delete_function(FunctionName="kept", Qualifier="1"),
        lambda: client.update_alias(FunctionName="kept", Name="live",
                                    RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}),
        lambda: client.publish_version(FunctionName="kept", RevisionId="stale"),
    ]
    for attempt in attempts:
        assert refusal(attempt)[0] in {400, 404, 409, 412}
    assert snapshot(client, "kept") == before
    fresh_server.kill()
    fresh_server.start()
    assert snapshot(make_client(fresh_server.endpoint), "kept") == before


def test_oversized_upload_is_413_and_harms_nothing(fresh_server: TurnoutProcess) -> None:
    """A zip just over Lambda's 50 MB direct-upload limit (stored, so it stays that big)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("blob.bin", os.urandom(52_428_800))
    client = make_client(fresh_server.endpoint)
    create(client, "kept")
    assert refusal(lambda: client.update_function_code(
        FunctionName="kept", ZipFile=buffer.getvalue())) == (
        413, "RequestEntityTooLargeException",
        "Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation")
    assert client.get_function(FunctionName="kept")["Configuration"]["CodeSize"] < 1000
