"""Users' own runbooks, verbatim, with the AWS CLI against Turnout (seed articles 000 and 003).

Each command is exactly as the article prints it; only ``--endpoint-url`` and
the credentials in the environment point the CLI at Turnout.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import TurnoutProcess, make_zip

AWS = str(Path(sys.executable).with_name("aws"))


def aws(server: TurnoutProcess, command: str, cwd: Path) -> dict[str, Any]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    words = shlex.split(command)
    assert words[0] == "aws"
    done = subprocess.run([AWS, *words[1:], "--endpoint-url", server.endpoint, "--output",
                           "json"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def _create(server: TurnoutProcess, tmp_path: Path, name: str) -> None:
    (tmp_path / "function.zip").write_bytes(make_zip({"index.py": (
        "def handler(event, context):\n    return context.function_version\n")}))
    aws(server, f"aws lambda create-function --function-name {name} --runtime python3.12 "
                "--handler index.handler --role arn:aws:iam::000000000000:role/r "
                "--zip-file fileb://function.zip", tmp_path)


def test_pre_warm_runbook(turnout_server: TurnoutProcess, tmp_path: Path) -> None:
    """Article 000: two versions, alias Prod, switch it to the burst version."""
    _create(turnout_server, tmp_path, "PreWarmEnvs")
    first = aws(turnout_server, "aws lambda publish-version --function-name PreWarmEnvs "
                                "--description Normal_Traffic", tmp_path)
    assert (first["Version"], first["Description"]) == ("1", "Normal_Traffic")
    aws(turnout_server, "aws lambda update-function-configuration --function-name PreWarmEnvs "
                        "--timeout 4", tmp_path)  # "you must make some change to the function"
    second = aws(turnout_server, "aws lambda publish-version --function-name PreWarmEnvs "
                                 "--description Burst_Traffic", tmp_path)
    assert second["Version"] == "2"
    alias = aws(turnout_server, "aws lambda create-alias --function-name PreWarmEnvs --name Prod "
                                "--function-version 1", tmp_path)
    assert alias["AliasArn"].endswith(":function:PreWarmEnvs:Prod")
    switched = aws(turnout_server, "aws lambda update-alias --function-name PreWarmEnvs "
                                   "--name Prod --function-version 2", tmp_path)
    assert switched["FunctionVersion"] == "2"
    assert switched["RevisionId"] != alias["RevisionId"]
    aws(turnout_server, "aws lambda invoke --function-name PreWarmEnvs:Prod out.json", tmp_path)
    assert json.loads((tmp_path / "out.json").read_text()) == "2"


def test_weighted_canary_runbook(turnout_server: TurnoutProcess, tmp_path: Path) -> None:
    """Issue 3 / article 003: split an alias's traffic 10% to version 2."""
    _create(turnout_server, tmp_path, "my-function")
    aws(turnout_server, "aws lambda publish-version --function-name my-function", tmp_path)
    aws(turnout_server, "aws lambda update-function-configuration --function-name my-function "
                        "--memory-size 256", tmp_path)
    aws(turnout_server, "aws lambda publish-version --function-name my-function", tmp_path)
    aws(turnout_server, "aws lambda create-alias --function-name my-function --name prod "
                        "--function-version 1", tmp_path)
    updated = aws(turnout_server, "aws lambda update-alias --function-name my-function --name "
                                  "prod --routing-config "
                                  + shlex.quote('{"AdditionalVersionWeights": {"2": 0.1}}'),
                  tmp_path)
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
