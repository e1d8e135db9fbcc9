"""Lambda ARNs: building them and parsing function names in every form AWS accepts.

See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#lambda-Invoke-request-FunctionName
(name, name:qualifier, partial ARN ``123456789012:function:name``, full ARN).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from turnout.errors import InvalidParameterValue, ResourceNotFound

_FULL = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d{1}):"
    r"(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_PARTIAL = re.compile(
    r"^(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_PLAIN = re.compile(r"^(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function name as the caller gave it, split into name and optional qualifier."""

    name: str
    qualifier: str | None
    account: str | None = None
    region: str | None = None


@lru_cache(maxsize=4096)  # every invocation parses its FunctionName; names repeat
def parse_function_name(value: str) -> FunctionRef:
    """Split ``FunctionName`` (name, ``name:qualifier``, partial or full ARN).

    Raises ``InvalidParameterValue`` for text that is none of those.
    """
    for pattern in (_FULL, _PARTIAL, _PLAIN):
        match = pattern.match(value)
        if match:
            groups = match.groupdict()
            return FunctionRef(
                name=groups["name"],
                qualifier=groups.get("qualifier"),
                account=groups.get("account"),
                region=groups.get("region"),
            )
    raise InvalidParameterValue(f"1 validation error detected: Value '{value}' at 'functionName' "
                                "failed to satisfy constraint: Member must satisfy regular "
                                "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
                                "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
                                "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")


def resolve_qualifier(ref: FunctionRef, qualifier: str | None, account: str, region: str,
                      ) -> tuple[str, str | None]:
    """Merge a qualifier in the name with the ``Qualifier`` parameter, as AWS does.

    Both given and different → ``InvalidParameterValue`` ("The derived qualifier
    from the function name does not match the specified qualifier."). An ARN for
    another account or region names a function that does not exist here.
    """
    if ref.qualifier is not None and qualifier is not None and ref.qualifier != qualifier:
        raise InvalidParameterValue(
            "The derived qualifier from the function name does not match the specified "
            "qualifier."
        )
    if (ref.account is not None and ref.account != account) or (
        ref.region is not None and ref.region != region
    ):
        raise ResourceNotFound(
            f"Function not found: {function_arn(region, account, ref.name, ref.qualifier)}"
        )
    return ref.name, ref.qualifier if ref.qualifier is not None else qualifier


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    base = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base
