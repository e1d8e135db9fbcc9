"""Marker / MaxItems paging as Lambda's List* operations do it."""

from __future__ import annotations

import pytest

from turnout.control.paging import PAGE_LIMIT, page, version_key
from turnout.errors import InvalidParameterValue


def _all_pages(items: list[str], max_items: int | None) -> list[list[str]]:
    pages: list[list[str]] = []
    marker: str | None = None
    for _ in range(len(items) + 2):
        chosen, marker = page(items, lambda item: item, marker, max_items)
        pages.append(chosen)
        if marker is None:
            return pages
    raise AssertionError("paging did not end")


@pytest.mark.parametrize(("count", "max_items", "sizes"), [
    (0, None, [0]),
    (3, None, [3]),
    (5, 2, [2, 2, 1]),
    (4, 2, [2, 2]),
    (120, None, [50, 50, 20]),
    (60, 1000, [50, 10]),
])
def test_pages_cover_every_item_once(count: int, max_items: int | None,
                                     sizes: list[int]) -> None:
    items = [f"f{i:03d}" for i in range(count)]
    pages = _all_pages(items, max_items)
    assert [len(chosen) for chosen in pages] == sizes
    assert [item for chosen in pages for item in chosen] == items


def test_a_marker_survives_deletion_of_the_item_it_names() -> None:
    items = ["a", "b", "c", "d"]
    first, marker = page(items, lambda item: item, None, 2)
    assert first == ["a", "b"]
    second, _ = page(["a", "c", "d"], lambda item: item, marker, 2)
    assert second == ["c", "d"]


def test_version_keys_sort_latest_first_then_by_number() -> None:
    versions = ["10", "$LATEST", "2", "1"]
    assert sorted(versions, key=version_key) == ["$LATEST", "1", "2", "10"]


def test_a_garbled_marker_is_refused() -> None:
    with pytest.raises(InvalidParameterValue, match="Invalid marker"):
        page(["a"], lambda item: item, "%%%", None)


def test_page_limit_is_fifty() -> None:
    assert PAGE_LIMIT == 50
