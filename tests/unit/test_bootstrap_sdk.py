"""The fork-server's warm SDK: a client made afterwards resolves everything from its own env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import SOURCE_ROOT

# Runs in a fresh interpreter: warm with the "host" settings in place, then become a function.
SCRIPT = """
import json, os, sys
from turnout.bootstrap import sdk
assert sdk.warm()
import boto3
core = boto3.DEFAULT_SESSION._session
untouched = core._config is None and core._credentials is None
os.environ.clear()
os.environ.update(json.loads(sys.argv[1]))
client = boto3.client("lambda")
credentials = boto3.DEFAULT_SESSION.get_credentials()
print(json.dumps({"untouched": untouched, "region": client.meta.region_name,
                  "endpoint": client.meta.endpoint_url, "key": credentials.access_key}))
"""


def test_a_client_after_warming_uses_the_function_environment(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-9\nendpoint_url = http://host.invalid\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = HOST\naws_secret_access_key = H\n")
    host = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SOURCE_ROOT),
            "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_REGION": "ap-south-1"}
    function = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_ACCESS_KEY_ID": "turnout", "AWS_SECRET_ACCESS_KEY": "turnout",
                "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-2",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9555"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(function)], env=host,
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == {"untouched": True, "region": "us-west-2",
                                       "endpoint": "http://127.0.0.1:9555", "key": "turnout"}
