"""The model's generic constraints (required, range, length, pattern, enum).

Violations are reported as AWS's ``ValidationException``:
"1 validation error detected: Value '64' at 'memorySize' failed to satisfy
constraint: Member must have value greater than or equal to 128".
Semantic rules (what a handler means) live with the handlers, not here.
"""

from __future__ import annotations

import re
from functools import cache
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


def _path(prefix: str, name: str) -> str:
    camel = name[:1].lower() + name[1:]
    return f"{prefix}.{camel}" if prefix else camel


def _check_structure(shape: StructureShape, value: dict[str, Any], prefix: str,
                     problems: list[str]) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"Value null at '{_path(prefix, name)}' failed to satisfy "
                            "constraint: Member must not be null")
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            _check(member, item, _path(prefix, name), problems)


def _shown(value: Any, shape: Shape) -> str:
    if shape.metadata.get("sensitive"):
        return "***"
    if isinstance(value, bytes):
        return "java.nio.HeapByteBuffer"
    return str(value)


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    fail = f"Value '{_shown(value, shape)}' at '{path}' failed to satisfy constraint: Member must"
    if kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        if "min" in meta and value < meta["min"]:
            problems.append(f"{fail} have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{fail} have value less than or equal to {meta['max']}")
        return
    if kind in ("string", "blob", "list", "map") and hasattr(value, "__len__"):
        if "min" in meta and len(value) < meta["min"]:
            problems.append(f"{fail} have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{fail} have length less than or equal to {meta['max']}")
    if kind == "string" and isinstance(value, str):
        enum = meta.get("enum")
        if enum and value not in enum:
            problems.append(f"{fail} satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        regex = _regex(pattern) if pattern else None
        if regex is not None and regex.fullmatch(value) is None:
            problems.append(f"{fail} satisfy regular expression pattern: {pattern}")
    elif kind == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        _check_structure(shape, value, path, problems)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            if item is not None:
                _check(shape.member, item, f"{path}.{index}.member", problems)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", problems)
            if item is not None:
                _check(shape.value, item, f"{path}.{key}.member", problems)
