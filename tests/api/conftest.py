"""API tests run a real Turnout on 127.0.0.1 and drive it with boto3.

``turnout_server`` is shared by the tests of one module (use ``fn_name`` for
names no other test uses); ``fresh_server`` is a server of the test's own, for
tests that kill and restart it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TurnoutProcess
from tests.helpers import lambda_client as make_client

TEST_ENV = {"TURNOUT_ASYNC_RETRY_DELAY_SCALE": "0.005", "TURNOUT_KEEP_ALIVE_SECONDS": "60"}
_counter = itertools.count()


@pytest.fixture(scope="module")
def turnout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TurnoutProcess]:
    server = TurnoutProcess(tmp_path_factory.mktemp("turnout"), TEST_ENV)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[TurnoutProcess]:
    server = TurnoutProcess(tmp_path / "data", TEST_ENV)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lambda_client(turnout_server: TurnoutProcess) -> Any:
    return make_client(turnout_server.endpoint)


@pytest.fixture
def fn_name() -> str:
    return f"fn-{next(_counter)}-{uuid.uuid4().hex[:6]}"
