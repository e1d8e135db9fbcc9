"""The model's generic constraints (required, range, length, pattern, enum).

Violations are reported as AWS's ``ValidationException``:
"1 validation error detected: Value '64' at 'memorySize' failed to satisfy
constraint: Member must have value greater than or equal to 128".
Semantic rules (what a handler means) live with the handlers, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from botocore.model import Shape, StructureShape

from turnout.errors import ValidationError


@cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:  # a Java-only construct: leave that check to the handler
        return None


def validate(shape: StructureShape | None, params: dict[str, Any]) -> None:
    if shape is None:
        return
    problems: list[str] = []
    _check_structure(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationError(f"{count} validation {noun} detected: " + "; ".join(problems))


@cache
def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _path(prefix: str, segment: str) -> str:
    return f"{prefix}.{segment}" if prefix else segment


@lru_cache(maxsize=8192)  # names and ARNs repeat: FunctionName is checked on every Invoke
def _matches(regex: re.Pattern[str], value: str) -> bool:
    return regex.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class _Rule:
    """The constraints of one shape, read from the model once."""

    kind: str
    numeric: bool  # min/max bound the value
    sized: bool  # min/max bound the length
    # int | float, not float: the model's integer bounds must print as integers, and a
    # mypyc-compiled build would turn an int stored in a float field into a float.
    minimum: int | float | None
    maximum: int | float | None
    enum: frozenset[str] | None
    enum_text: str
    pattern: str | None
    regex: re.Pattern[str] | None
    sensitive: bool


@cache
def _rule(shape: Shape) -> _Rule:
    meta = shape.metadata
    enum = meta.get("enum")
    pattern = meta.get("pattern")
    kind = shape.type_name
    return _Rule(kind, kind in ("integer", "long", "float", "double"),
                 kind in ("string", "blob", "list", "map"), meta.get("min"), meta.get("max"),
                 frozenset(enum) if enum else None, ", ".join(enum or ()), pattern,
                 _regex(pattern) if pattern else None, bool(meta.get("sensitive")))


@cache
def _members(shape: StructureShape) -> dict[str, tuple[Shape, str]]:
    """Each member's shape and its name in messages (camelCase)."""
    return {name: (member, _camel(name)) for name, member in shape.members.items()}


def _check_structure(shape: StructureShape, value: dict[str, Any], prefix: str,
                     problems: list[str]) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"Value null at '{_path(prefix, _camel(name))}' failed to satisfy "
                            "constraint: Member must not be null")
    members = _members(shape)
    for name, item in value.items():
        known = members.get(name)
        if item is not None and known is not None:
            _check(known[0], item, prefix, known[1], problems)


def _fail(problems: list[str], rule: _Rule, value: Any, prefix: str, segment: str,
          constraint: str) -> None:
    shown = ("***" if rule.sensitive else
             "java.nio.HeapByteBuffer" if isinstance(value, bytes) else str(value))
    problems.append(f"Value '{shown}' at '{_path(prefix, segment)}' failed to satisfy "
                    f"constraint: Member must {constraint}")


def _check_bounds(problems: list[str], rule: _Rule, value: Any, measured: float, what: str,
                  prefix: str, segment: str) -> None:
    """``min``/``max`` against the value itself or its length (``what``)."""
    if rule.minimum is not None and measured < rule.minimum:
        _fail(problems, rule, value, prefix, segment,
              f"have {what} greater than or equal to {rule.minimum}")
    if rule.maximum is not None and measured > rule.maximum:
        _fail(problems, rule, value, prefix, segment,
              f"have {what} less than or equal to {rule.maximum}")


def _check(shape: Shape, value: Any, prefix: str, segment: str, problems: list[str]) -> None:
    """Check ``value`` at ``prefix.segment``; texts are only built for a violation."""
    rule = _rule(shape)
    if rule.numeric:
        if isinstance(value, int | float):
            _check_bounds(problems, rule, value, value, "value", prefix, segment)
        return
    if rule.sized and (rule.minimum is not None or rule.maximum is not None) \
            and hasattr(value, "__len__"):
        _check_bounds(problems, rule, value, len(value), "length", prefix, segment)
    kind = rule.kind
    if kind == "string":
        if isinstance(value, str):
            if rule.enum is not None and value not in rule.enum:
                _fail(problems, rule, value, prefix, segment,
                      f"satisfy enum value set: [{rule.enum_text}]")
            if rule.regex is not None and not _matches(rule.regex, value):
                _fail(problems, rule, value, prefix, segment,
                      f"satisfy regular expression pattern: {rule.pattern}")
    elif kind == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        _check_structure(shape, value, _path(prefix, segment), problems)
    elif kind == "list" and isinstance(value, list):
        path = _path(prefix, segment)
        for index, item in enumerate(value, start=1):
            if item is not None:
                _check(shape.member, item, path, f"{index}.member", problems)
    elif kind == "map" and isinstance(value, dict):
        path = _path(prefix, segment)
        for key, item in value.items():
            _check(shape.key, key, path, "key", problems)
            if item is not None:
                _check(shape.value, item, path, f"{key}.member", problems)
