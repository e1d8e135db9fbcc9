"""GetAccountSettings: Lambda's quotas and this server's usage.

Quotas from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from turnout.api.registry import handles
from turnout.store.code import MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES

if TYPE_CHECKING:
    from turnout.api.handlers.shapes import Params
    from turnout.platform import Platform

TOTAL_CODE_STORAGE = 80_530_636_800  # 75 GB


@handles("GetAccountSettings")
async def get_account_settings(platform: Platform, params: Params) -> Params:
    total_code, function_count = platform.control.account_usage()
    concurrency = platform.settings.account_concurrency
    return {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_STORAGE,
            "CodeSizeUnzipped": MAX_UNZIPPED_BYTES,
            "CodeSizeZipped": MAX_ZIPPED_BYTES,
            "ConcurrentExecutions": concurrency,
            "UnreservedConcurrentExecutions": concurrency,
        },
        "AccountUsage": {"TotalCodeSize": total_code, "FunctionCount": function_count},
    }
