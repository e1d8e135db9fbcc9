"""Route matching from the botocore model, with remembered answers, and request ids."""

from __future__ import annotations

import uuid

import pytest

from turnout.api.app import new_request_id
from turnout.api.spec import ApiSpec, load_spec


@pytest.fixture
def spec() -> ApiSpec:
    session_spec = load_spec()
    return ApiSpec(session_spec.model)  # a fresh one: nothing remembered yet


@pytest.mark.parametrize(("method", "path", "query", "operation", "labels"), [
    ("POST", "/2015-03-31/functions/orders/invocations", {}, "Invoke",
     {"FunctionName": "orders"}),
    ("GET", "/2019-09-30/functions/orders/provisioned-concurrency", {"List": ["ALL"]},
     "ListProvisionedConcurrencyConfigs", {"FunctionName": "orders"}),
    ("GET", "/2019-09-30/functions/orders/provisioned-concurrency", {"Qualifier": ["live"]},
     "GetProvisionedConcurrencyConfig", {"FunctionName": "orders"}),
    ("GET", "/2019-09-30/functions/orders/provisioned-concurrency", {"List": ["ALL"]},
     "ListProvisionedConcurrencyConfigs", {"FunctionName": "orders"}),
])
def test_answers_are_the_same_the_second_time(spec: ApiSpec, method: str, path: str,
                                              query: dict[str, list[str]], operation: str,
                                              labels: dict[str, str]) -> None:
    for _ in range(2):
        matched = spec.match(method, path, query)
        assert matched is not None
        assert (matched[0].name, matched[1]) == (operation, labels)


def test_a_path_whose_answer_depends_on_the_query_is_not_remembered(spec: ApiSpec) -> None:
    path = "/2019-09-30/functions/orders/provisioned-concurrency"
    first = spec.match("GET", path, {"Qualifier": ["live"]})
    second = spec.match("GET", path, {"List": ["ALL"]})
    assert first is not None and second is not None
    assert (first[0].name, second[0].name) == ("GetProvisionedConcurrencyConfig",
                                               "ListProvisionedConcurrencyConfigs")


def test_request_ids_are_version_4_uuids() -> None:
    ids = {new_request_id() for _ in range(2000)}
    assert len(ids) == 2000
    for text in ids:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
