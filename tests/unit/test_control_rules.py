"""Lambda's semantic rules for function settings, aliases and tags, with AWS's messages."""

from __future__ import annotations

import pytest

from turnout.control import rules
from turnout.errors import InvalidParameterValue, LambdaError, PreconditionFailed, ValidationError


@pytest.mark.parametrize("runtime", ["python3.9", "python3.12", "python3.14",
                                     "provided.al2023", "provided.al2"])
def test_supported_runtimes_pass(runtime: str) -> None:
    rules.check_runtime(runtime)


@pytest.mark.parametrize(("runtime", "message"), [
    ("python3.8", "The runtime parameter of python3.8 is no longer supported for creating or "
                  "updating AWS Lambda functions. We recommend you use the new runtime "
                  "(python3.13) while creating or updating functions."),
    ("python2.7", "The runtime parameter of python2.7 is no longer supported"),
    ("provided", "We recommend you use the new runtime (provided.al2023)"),
    ("nodejs20.x", "The runtime parameter of nodejs20.x is not supported by Turnout."),
    ("java21", "Supported runtimes: python3.9, python3.10"),
])
def test_unsupported_runtimes_are_refused(runtime: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=None) as caught:
        rules.check_runtime(runtime)
    assert message in caught.value.message


def test_supported_runtimes_come_from_the_botocore_enum() -> None:
    supported = rules.supported_runtimes()
    assert supported[0] == "python3.9"
    assert "python3.14" in supported
    assert supported[-2:] == ("provided.al2023", "provided.al2")


@pytest.mark.parametrize(("timeout", "memory", "storage", "message"), [
    (901, 128, 512, "Value '901' at 'timeout' failed to satisfy constraint: Member must have "
                    "value less than or equal to 900"),
    (0, 128, 512, "Value '0' at 'timeout' failed to satisfy constraint: Member must have value "
                  "greater than or equal to 1"),
    (3, 10241, 512, "Value '10241' at 'memorySize' failed to satisfy constraint: Member must "
                    "have value less than or equal to 10240"),
    (3, 127, 512, "Member must have value greater than or equal to 128"),
    (3, 128, 10241, "Value '10241' at 'ephemeralStorage.size'"),
    (3, 128, 511, "Value '511' at 'ephemeralStorage.size'"),
])
def test_limits(timeout: int, memory: int, storage: int, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rules.check_limits(timeout, memory, storage)
    assert caught.value.message.startswith("1 validation error detected: ")
    assert message in caught.value.message


@pytest.mark.parametrize(("timeout", "memory", "storage"), [
    (1, 128, 512), (900, 10240, 10240), (3, 1769, 2048)])
def test_limits_at_the_edges_pass(timeout: int, memory: int, storage: int) -> None:
    rules.check_limits(timeout, memory, storage)


def test_reserved_environment_keys_are_refused() -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        rules.check_environment({"AWS_REGION": "x", "OK": "1", "_HANDLER": "y"})
    assert caught.value.message.endswith(
        "Reserved keys used in this request: AWS_REGION, _HANDLER")


def test_environment_over_4kb_is_refused() -> None:
    rules.check_environment({"A": "x" * 4000})
    with pytest.raises(InvalidParameterValue, match="exceeded the 4KB limit"):
        rules.check_environment({"A": "x" * 4096})


@pytest.mark.parametrize(("role", "valid"), [
    ("arn:aws:iam::123456789012:role/service-role/x", True),
    ("arn:aws:iam::123456789012:role/r", True),
    ("arn:aws:iam::12345:role/r", False),
    ("role/r", False),
    ("arn:aws:iam::123456789012:user/u", False),
])
def test_role_must_be_an_iam_role_arn(role: str, valid: bool) -> None:
    if valid:
        rules.check_role(role)
    else:
        with pytest.raises(ValidationError, match="at 'role' failed to satisfy constraint"):
            rules.check_role(role)


@pytest.mark.parametrize(("name", "valid"), [
    ("prod", True), ("Prod-1_x", True), ("v1", True), ("123", False), ("a b", False),
    ("a" * 128, True), ("a" * 129, False), ("$LATEST", False)])
def test_alias_names(name: str, valid: bool) -> None:
    if valid:
        rules.check_alias_name(name)
    else:
        with pytest.raises(ValidationError, match=r"at 'name' failed to satisfy constraint"):
            rules.check_alias_name(name)


@pytest.mark.parametrize(("primary", "weights", "error", "message"), [
    ("1", {"2": 0.1, "3": 0.1}, InvalidParameterValue,
     "Number of items in AdditionalVersionWeights cannot be greater than 1"),
    ("1", {"2": 1.5}, ValidationError, "Value '{2=1.5}' at 'routingConfig.additionalVersion"),
    ("1", {"2": 1.0}, ValidationError, "Map value must satisfy constraint"),
    ("1", {"2": -0.1}, ValidationError, "Map value must satisfy constraint"),
    ("1", {"1": 0.5}, InvalidParameterValue,
     "Invalid function version 1. Function version 1 is already included in routing "
     "configuration."),
    ("$LATEST", {"1": 0.5}, InvalidParameterValue,
     "$LATEST is not supported for an alias pointing to more than 1 version"),
    ("1", {"$LATEST": 0.5}, ValidationError,
     "Member must satisfy regular expression pattern: [0-9]+"),
])
def test_routing_rules(primary: str, weights: dict[str, float], error: type[LambdaError],
                       message: str) -> None:
    with pytest.raises(error) as caught:
        rules.check_routing(primary, weights)
    assert message in caught.value.message


@pytest.mark.parametrize(("primary", "weights"), [
    ("1", {}), ("2", {"1": 0.0}), ("2", {"1": 0.99}), ("$LATEST", {})])
def test_valid_routing(primary: str, weights: dict[str, float]) -> None:
    rules.check_routing(primary, weights)


def test_revision_precondition() -> None:
    rules.check_revision(None, "r1")
    rules.check_revision("r1", "r1")
    with pytest.raises(PreconditionFailed, match="The Revision Id provided does not match"):
        rules.check_revision("r0", "r1")


def test_code_sha256_precondition_names_both_hashes() -> None:
    rules.check_code_sha256(None, "abc=")
    with pytest.raises(InvalidParameterValue) as caught:
        rules.check_code_sha256("xyz=", "abc=")
    assert caught.value.message == (
        "CodeSHA256 (xyz=) is different from current CodeSHA256 in $LATEST (abc=). "
        "Please try again with the CodeSHA256 in $LATEST.")


@pytest.mark.parametrize(("tags", "message"), [
    ({f"k{i}": "v" for i in range(51)}, "Number of tags exceeds resource tag limit."),
    ({"aws:x": "v"}, "The tag key 'aws:x' is invalid."),
    ({"k" * 129: "v"}, "is invalid."),
    ({"k": "v" * 257}, "The tag value for 'k' is too long."),
])
def test_tag_rules(tags: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        rules.check_tags(tags)
    assert message in caught.value.message


def test_function_name_longer_than_64_is_refused() -> None:
    rules.check_function_name("f" * 64)
    with pytest.raises(ValidationError, match="less than or equal to 64"):
        rules.check_function_name("f" * 65)
