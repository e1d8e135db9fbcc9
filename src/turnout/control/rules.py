"""Lambda's rules for function settings and aliases, as pure checks that raise AWS's errors.

The API layer already enforces the model's generic constraints (required,
lengths, patterns, enums); these are the semantic rules Lambda applies on
top, with Lambda's messages. They are repeated here only where the model is
looser than the service (e.g. ``Timeout`` up to 900 while the model says 5400).
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Mapping
from pathlib import Path

from turnout.errors import InvalidParameterValue, PreconditionFailed, ValidationError
from turnout.models import LATEST

MAX_TIMEOUT = 900
MIN_MEMORY, MAX_MEMORY = 128, 10240
MIN_EPHEMERAL, MAX_EPHEMERAL = 512, 10240
MAX_NAME_LENGTH = 64
MAX_ENVIRONMENT_BYTES = 4096
ALIAS_PATTERN = r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
PROVIDED_RUNTIMES = ("provided.al2023", "provided.al2")
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-deprecated
DEPRECATED_RUNTIMES = frozenset({"python2.7", "python3.6", "python3.7", "python3.8", "provided"})
RECOMMENDED_PYTHON = "python3.13"
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_VARIABLES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
REVISION_MISMATCH = ("The Revision Id provided does not match the latest Revision Id. "
                     "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")


def _constraint(value: object, member: str, constraint: str) -> ValidationError:
    return ValidationError(f"1 validation error detected: Value '{value}' at '{member}' "
                           f"failed to satisfy constraint: {constraint}")


@functools.cache
def supported_runtimes() -> tuple[str, ...]:
    """``python3.9`` and newer as listed in botocore's ``Runtime`` enum, then custom runtimes."""
    import botocore

    model = Path(botocore.__file__).parent / "data" / "lambda" / "2015-03-31" / "service-2.json.gz"
    with gzip.open(model) as handle:
        enum: list[str] = json.load(handle)["shapes"]["Runtime"]["enum"]
    pythons = [name for name in enum if re.fullmatch(r"python3\.\d+", name)
               and int(name.split(".")[1]) >= 9]
    return (*sorted(pythons, key=lambda name: int(name.split(".")[1])), *PROVIDED_RUNTIMES)


def needs_handler(runtime: str) -> bool:
    """Custom runtimes find their entry point in ``bootstrap``; a handler is optional."""
    return not runtime.startswith("provided")


def check_runtime(runtime: str) -> None:
    if runtime in supported_runtimes():
        return
    if runtime in DEPRECATED_RUNTIMES:
        raise InvalidParameterValue(
            f"The runtime parameter of {runtime} is no longer supported for creating or "
            f"updating AWS Lambda functions. We recommend you use the new runtime "
            f"({RECOMMENDED_PYTHON if runtime.startswith('python') else 'provided.al2023'}) "
            "while creating or updating functions.")
    raise InvalidParameterValue(
        f"The runtime parameter of {runtime} is not supported by Turnout. Supported runtimes: "
        + ", ".join(supported_runtimes()) + ".")


def check_function_name(name: str) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise _constraint(name, "functionName",
                          f"Member must have length less than or equal to {MAX_NAME_LENGTH}")


def check_role(role: str) -> None:
    if not re.fullmatch(ROLE_PATTERN, role):
        raise _constraint(role, "role",
                          f"Member must satisfy regular expression pattern: {ROLE_PATTERN}")


def check_limits(timeout: int, memory_size: int, ephemeral_storage_mb: int) -> None:
    """Lambda's quotas: timeout 1-900 s, memory 128-10240 MB, /tmp 512-10240 MB."""
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise _constraint(timeout, "timeout",
                          f"Member must have value less than or equal to {MAX_TIMEOUT}"
                          if timeout > MAX_TIMEOUT
                          else "Member must have value greater than or equal to 1")
    if not MIN_MEMORY <= memory_size <= MAX_MEMORY:
        raise _constraint(memory_size, "memorySize",
                          f"Member must have value less than or equal to {MAX_MEMORY}"
                          if memory_size > MAX_MEMORY
                          else f"Member must have value greater than or equal to {MIN_MEMORY}")
    if not MIN_EPHEMERAL <= ephemeral_storage_mb <= MAX_EPHEMERAL:
        raise _constraint(ephemeral_storage_mb, "ephemeralStorage.size",
                          f"Member must have value less than or equal to {MAX_EPHEMERAL}"
                          if ephemeral_storage_mb > MAX_EPHEMERAL
                          else f"Member must have value greater than or equal to {MIN_EPHEMERAL}")


def check_environment(variables: Mapping[str, str]) -> None:
    """Reserved keys and the 4 KB limit on all variables together."""
    reserved = sorted(key for key in variables if key in RESERVED_VARIABLES)
    if reserved:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are currently "
            f"not supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}")
    measured = json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}")


def check_revision(given: str | None, current: str) -> None:
    """``RevisionId`` precondition on updates (PreconditionFailedException, HTTP 412)."""
    if given is not None and given != current:
        raise PreconditionFailed(REVISION_MISMATCH)


def check_code_sha256(given: str | None, current: str) -> None:
    """PublishVersion's ``CodeSha256`` precondition against ``$LATEST``."""
    if given is not None and given != current:
        raise InvalidParameterValue(
            f"CodeSHA256 ({given}) is different from current CodeSHA256 in $LATEST "
            f"({current}). Please try again with the CodeSHA256 in $LATEST.")


def check_alias_name(name: str) -> None:
    if not re.fullmatch(ALIAS_PATTERN, name) or len(name) > 128:
        raise _constraint(name, "name",
                          f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}")


def check_routing(primary: str, weights: Mapping[str, float]) -> None:
    """Rules for ``RoutingConfig.AdditionalVersionWeights`` that need no stored state.

    https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html: an
    alias points to at most two versions, both published. Lambda checks in this
    order: count, weight (a weight of 1.0 is refused too), the primary itself,
    ``$LATEST`` as primary, the version's form. Whether the versions exist is
    checked by the caller.
    """
    if len(weights) > 1:
        raise InvalidParameterValue(
            "Number of items in AdditionalVersionWeights cannot be greater than 1")
    for version, weight in weights.items():
        if not 0.0 <= weight < 1.0:
            raise _constraint(f"{{{version}={weight}}}", "routingConfig.additionalVersionWeights",
                              "Map value must satisfy constraint: [Member must have value less "
                              "than or equal to 1.0, Member must have value greater than or "
                              "equal to 0.0, Member must not be null]")
        if version == primary:
            raise InvalidParameterValue(
                f"Invalid function version {version}. Function version {version} is already "
                "included in routing configuration.")
        if primary == LATEST:
            raise InvalidParameterValue(
                "$LATEST is not supported for an alias pointing to more than 1 version")
        if not re.fullmatch(r"[0-9]+", version):
            raise _constraint(f"{{{version}={weight}}}", "routingConfig.additionalVersionWeights",
                              "Map keys must satisfy constraint: [Member must have length less "
                              "than or equal to 1024, Member must have length greater than or "
                              "equal to 1, Member must satisfy regular expression pattern: "
                              "[0-9]+]")


MAX_TAGS = 50


def check_tags(tags: Mapping[str, str]) -> None:
    """At most 50 tags; keys 1-128 characters not starting with ``aws:``; values up to 256."""
    if len(tags) > MAX_TAGS:
        raise InvalidParameterValue("Number of tags exceeds resource tag limit.")
    for key, value in tags.items():
        if not key or len(key) > 128 or key.lower().startswith("aws:"):
            raise InvalidParameterValue(f"The tag key '{key}' is invalid.")
        if len(value) > 256:
            raise InvalidParameterValue(f"The tag value for '{key}' is too long.")
