"""Paging of List* results with Lambda's ``Marker`` / ``MaxItems`` / ``NextMarker``.

A marker is opaque to clients: here it is the sort key of the last item of the
previous page, so a page stays correct when items are added or removed between
calls. Lambda returns at most 50 items per call
(https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from turnout.errors import InvalidParameterValue

PAGE_LIMIT = 50
T = TypeVar("T")


def page(items: Sequence[T], sort_key: Callable[[T], str], marker: str | None,
         max_items: int | None) -> tuple[list[T], str | None]:
    """One page of ``items`` (sorted by ``sort_key``) after ``marker``, and the next marker."""
    size = min(max_items or PAGE_LIMIT, PAGE_LIMIT)
    after = _decode(marker) if marker else None
    remaining = [item for item in items if after is None or sort_key(item) > after]
    chosen = remaining[:size]
    if len(remaining) > size:
        return chosen, _encode(sort_key(chosen[-1]))
    return chosen, None


def version_key(version: str) -> str:
    """Sorts ``$LATEST`` first, then versions by number."""
    return "" if version == "$LATEST" else f"{int(version):012d}"


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode(marker: str) -> str:
    try:
        return base64.b64decode(marker.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidParameterValue(f"Invalid marker: {marker}") from error
