"""Metrics and logs as users read them: /metrics, the JSON query, `turnout logs|metrics`."""

from __future__ import annotations

import io
import json
import urllib.request
from typing import Any

from tests.helpers import TurnoutProcess, make_zip
from turnout.observe.commands import logs_command, metrics_command

ROLE = "arn:aws:iam::000000000000:role/test"
SOURCE = "def handler(e, c):\n    print('working on', e.get('n'))\n    if e.get('fail'):\n" \
         "        raise RuntimeError('no')\n    return e\n"


def _setup(client: Any, name: str) -> None:
    client.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                           Role=ROLE, Code={"ZipFile": make_zip({"index.py": SOURCE})})
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    for n in range(3):
        client.invoke(FunctionName=f"{name}:live", Payload=json.dumps({"n": n}).encode())
    client.invoke(FunctionName=f"{name}:live", Payload=b'{"fail": true}')


def test_prometheus_text_has_per_version_series(lambda_client: Any, fn_name: str,
                                                turnout_server: TurnoutProcess) -> None:
    _setup(lambda_client, fn_name)
    with urllib.request.urlopen(f"{turnout_server.endpoint}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    labels = f'function_name="{fn_name}",resource="{fn_name}:live",executed_version="1"'
    lines = [line for line in text.splitlines() if labels in line]
    assert any(line.startswith("turnout_invocations_total{") and line.endswith(" 4")
               for line in lines), lines
    assert any(line.startswith("turnout_errors_total{") and line.endswith(" 1") for line in lines)


def test_json_query_and_metrics_command(lambda_client: Any, fn_name: str,
                                        turnout_server: TurnoutProcess) -> None:
    _setup(lambda_client, fn_name)
    url = f"{turnout_server.endpoint}/_turnout/metrics?function={fn_name}&resource={fn_name}:live"
    with urllib.request.urlopen(url, timeout=10) as response:
        result = json.loads(response.read())
    (series,) = result["Series"]
    assert series["ExecutedVersion"] == "1"
    assert sum(w["Invocations"] for w in series["Windows"]) == 4
    out = io.StringIO()
    assert metrics_command([f"{fn_name}:live", "--endpoint", turnout_server.endpoint], out) == 0
    table = out.getvalue().splitlines()
    assert table[0].startswith("MINUTE (UTC)")
    assert any(f"{fn_name}:live" in row and " 4 " in f" {row} " for row in table[1:])


def test_logs_command_shows_an_alias_versions_lines(lambda_client: Any, fn_name: str,
                                                    turnout_server: TurnoutProcess) -> None:
    _setup(lambda_client, fn_name)
    out = io.StringIO()
    assert logs_command([fn_name, "--qualifier", "live", "--data-dir",
                         str(turnout_server.data_dir), "--endpoint",
                         turnout_server.endpoint], out) == 0
    text = out.getvalue()
    assert text.count("START RequestId: ") == 4
    assert "Version: 1" in text
    assert "working on 2" in text
    assert "RuntimeError" in text
