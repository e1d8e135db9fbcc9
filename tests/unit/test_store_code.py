"""The content-addressed code store: checks, durable writes, safe lazy extraction."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.errors import InvalidParameterValue, RequestTooLarge
from turnout.store.code import (
    MAX_UNZIPPED_BYTES,
    MAX_ZIPPED_BYTES,
    UNZIP_FAILED,
    CodeStore,
    inspect_zip,
)


def zip_of(entries: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = ((modes or {}).get(name, 0o100644)) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_code_sha256_is_base64_of_the_zip_digest() -> None:
    data = zip_of({"app.py": b"x = 1\n"})
    archive = inspect_zip(data, "CreateFunction")
    assert archive.code_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert archive.sha256_hex == hashlib.sha256(data).hexdigest()
    assert archive.size == len(data)
    assert archive.unzipped_size == 6


def _corrupt(data: bytes) -> bytes:
    start = data.index(b"x = 1")
    return data[:start] + b"y = 2" + data[start + 5:]


@pytest.mark.parametrize("data", [
    b"not a zip at all",
    b"",
    zip_of({"../evil.py": b"x"}),
    zip_of({"a/../../evil.py": b"x"}),
    zip_of({"/etc/evil": b"x"}),
    zip_of({"link": b"../../outside"}, {"link": 0o120777}),
    zip_of({"link": b"/etc/passwd"}, {"link": 0o120777}),
])
def test_unusable_zips_are_refused_with_aws_message(data: bytes) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        inspect_zip(data, "CreateFunction")
    assert caught.value.message == UNZIP_FAILED


def test_a_zip_with_a_bad_crc_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("app.py", b"x = 1")
    with pytest.raises(InvalidParameterValue, match="Could not unzip"):
        inspect_zip(_corrupt(buffer.getvalue()), "CreateFunction")


def test_unzipped_size_over_250mb_is_refused() -> None:
    data = bytearray(zip_of({"big.bin": b"x"}))
    central = data.index(b"PK\x01\x02")  # the size the central directory declares
    data[central + 24:central + 28] = (MAX_UNZIPPED_BYTES + 1).to_bytes(4, "little")
    with pytest.raises(InvalidParameterValue) as caught:
        inspect_zip(bytes(data), "CreateFunction")
    assert caught.value.message == "Unzipped size must be smaller than 262144000 bytes"


@pytest.mark.parametrize(("operation", "limit"), [("UpdateFunctionCode", 69905067),
                                                  ("CreateFunction", 70167211)])
def test_zipped_size_over_50mb_is_request_too_large(operation: str, limit: int) -> None:
    with pytest.raises(RequestTooLarge) as caught:
        inspect_zip(b"\0" * (MAX_ZIPPED_BYTES + 1), operation)
    assert caught.value.message == (f"Request must be smaller than {limit} bytes for the "
                                    f"{operation} operation")


def test_safe_symlinks_and_nested_dirs_are_accepted() -> None:
    inspect_zip(zip_of({"lib/a.py": b"x", "lib/b": b"a.py"}, {"lib/b": 0o120777}),
                "CreateFunction")


def test_put_stores_once_by_content_and_extracts_read_only(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    store.open()
    data = zip_of({"app.py": b"x = 1\n", "bootstrap": b"#!/bin/sh\n", "pkg/mod.py": b""},
                  {"bootstrap": 0o100755})
    first = asyncio.run(store.put(data, "CreateFunction"))
    second = asyncio.run(store.put(data, "CreateFunction"))
    assert first == second
    assert sorted(p.name for p in (tmp_path / "code").iterdir()) == [
        first.sha256_hex, f"{first.sha256_hex}.zip"]  # stored once, extracted once
    assert store.zip_path(first.code_sha256).read_bytes() == data
    tree = store.code_dir(first.code_sha256)
    assert tree == tmp_path / "code" / first.sha256_hex
    assert (tree / "app.py").read_text() == "x = 1\n"
    assert (tree / "pkg" / "mod.py").exists()
    assert os.access(tree / "bootstrap", os.X_OK)
    assert not (tree / "app.py").stat().st_mode & stat.S_IWUSR
    assert not os.access(tree / "app.py", os.X_OK)
    assert store.code_dir(first.code_sha256) == tree


def test_a_refused_zip_leaves_nothing_behind(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    store.open()
    with pytest.raises(InvalidParameterValue):
        asyncio.run(store.put(b"junk", "CreateFunction"))
    assert list((tmp_path / "code").iterdir()) == []


def test_open_removes_temporary_leftovers_of_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "code"
    root.mkdir()
    (root / "abc.tmp").write_bytes(b"partial")
    (root / "xyz.tmp").mkdir()
    CodeStore(root).open()
    assert list(root.iterdir()) == []


@settings(max_examples=200, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1,
                      max_size=4))
def test_damaged_zips_are_refused_cleanly(flips: list[tuple[int, int]]) -> None:
    """Whatever bytes are damaged, the answer is a stored zip or Lambda's unzip error."""
    data = bytearray(zip_of({"app.py": b"hello world " * 200, "lib/x.py": b"y = 2\n"}))
    for position, mask in flips:
        data[position % len(data)] ^= mask
    try:
        inspect_zip(bytes(data), "CreateFunction")
    except InvalidParameterValue as error:
        assert error.message in {UNZIP_FAILED, "Unzipped size must be smaller than "
                                               f"{MAX_UNZIPPED_BYTES} bytes"}
