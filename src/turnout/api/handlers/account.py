"""GetAccountSettings: Lambda's quotas, the unreserved concurrency left, and this server's usage.

Quotas from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html;
figures from ``turnout.concurrency_rules``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from turnout.api.registry import handles
from turnout.concurrency_rules import account_settings
from turnout.control.concurrency import account_view

if TYPE_CHECKING:
    from turnout.api.handlers.shapes import Params
    from turnout.platform import Platform


@handles("GetAccountSettings")
async def get_account_settings(platform: Platform, params: Params) -> Params:
    total_code, function_count = platform.control.account_usage()
    return account_settings(account_view(platform.control), function_count, total_code)
