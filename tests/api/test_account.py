"""GetAccountSettings: Lambda's quotas and the usage of this server."""

from __future__ import annotations

from typing import Any

from tests.api.control_kit import CODE, create


def test_account_settings_count_functions_and_code(lambda_client: Any, fn_name: str) -> None:
    before = lambda_client.get_account_settings()
    assert before["AccountLimit"] == {
        "TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
        "CodeSizeZipped": 52428800, "ConcurrentExecutions": 1000,
        "UnreservedConcurrentExecutions": 1000}
    create(lambda_client, fn_name, Publish=True)
    after = lambda_client.get_account_settings()["AccountUsage"]
    assert after["FunctionCount"] == before["AccountUsage"]["FunctionCount"] + 1
    assert after["TotalCodeSize"] == before["AccountUsage"]["TotalCodeSize"] + 2 * len(CODE)
