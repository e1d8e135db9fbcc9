"""Content-addressed function code: ``<root>/<sha256 hex>.zip`` and its extracted tree.

A zip is checked before it is stored (readable, CRCs right, no member escaping
its directory, unzipped size within Lambda's quota), written to a temporary
file, fsynced and renamed, so a crash never leaves a half-written archive under
its final name. Extraction happens once, on first use, into a temporary
directory that is renamed into place.

Limits from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html:
50 MB zipped for a direct upload, 250 MB unzipped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from turnout.errors import InvalidParameterValue
from turnout.limits import request_too_large
from turnout.models import sha256_hex

MAX_ZIPPED_BYTES = 52_428_800
MAX_UNZIPPED_BYTES = 262_144_000

UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


@dataclass(frozen=True, slots=True)
class CodeArchive:
    """A checked zip: its Lambda ``CodeSha256`` (base64), hex digest and sizes."""

    code_sha256: str
    sha256_hex: str
    size: int
    unzipped_size: int


def inspect_zip(data: bytes, operation: str) -> CodeArchive:
    """Check an uploaded zip as Lambda does; raise the error Lambda answers with."""
    if len(data) > MAX_ZIPPED_BYTES:
        raise request_too_large(operation)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            unzipped = sum(member.file_size for member in members)
            if unzipped > MAX_UNZIPPED_BYTES:
                raise InvalidParameterValue(
                    f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
            for member in members:
                if not _safe_member(archive, member):
                    raise InvalidParameterValue(UNZIP_FAILED)
            if archive.testzip() is not None:
                raise InvalidParameterValue(UNZIP_FAILED)
    except InvalidParameterValue:
        raise
    except Exception as error:  # any way a hostile or broken archive fails to read
        raise InvalidParameterValue(UNZIP_FAILED) from error
    digest = hashlib.sha256(data).digest()
    return CodeArchive(
        code_sha256=base64.b64encode(digest).decode(),
        sha256_hex=digest.hex(),
        size=len(data),
        unzipped_size=unzipped,
    )


def _safe_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """No absolute paths, no ``..``, no symbolic link pointing out of the tree."""
    if not _inside(member.filename):
        return False
    if stat.S_ISLNK(member.external_attr >> 16):
        target = archive.read(member).decode("utf-8", "replace")
        parent = PurePosixPath(member.filename).parent
        return not target.startswith("/") and _inside(str(parent / target))
    return True


def _inside(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return False
    depth = 0
    for part in name.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
        elif part not in ("", "."):
            depth += 1
        if depth < 0:
            return False
    return True


class CodeStore:
    """Zips by SHA-256 under ``root``; extracted trees next to them, made on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._extracted: set[str] = set()

    def open(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in self.root.glob("*.tmp*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)

    async def put(self, data: bytes, operation: str) -> CodeArchive:
        """Check and durably store ``data``, and extract it, all off the event loop, so that
        the first invocation finds its code ready; identical code is stored once."""
        archive = await asyncio.to_thread(self._put, data, operation)
        await self.prepare(archive.code_sha256)
        return archive

    async def check(self, data: bytes, operation: str) -> CodeArchive:
        """What ``put`` would store, without storing it (UpdateFunctionCode's DryRun)."""
        return await asyncio.to_thread(inspect_zip, data, operation)

    def _put(self, data: bytes, operation: str) -> CodeArchive:
        archive = inspect_zip(data, operation)
        final = self.zip_path(archive.code_sha256)
        if not final.exists():
            descriptor, temporary = tempfile.mkstemp(dir=self.root, suffix=".tmp")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, final)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            _fsync_directory(self.root)
        return archive

    def zip_path(self, code_sha256: str) -> Path:
        return self.root / f"{sha256_hex(code_sha256)}.zip"

    def code_dir(self, code_sha256: str) -> Path:
        """The extracted code of ``code_sha256`` (base64), extracted on first call.

        Files are read-only; executable bits from the zip are kept (a custom
        runtime's ``bootstrap`` must stay executable).
        """
        name = sha256_hex(code_sha256)
        if name not in self._extracted:
            _extract_once(self.root, name)
            self._extracted.add(name)
        return self.root / name

    async def prepare(self, code_sha256: str) -> Path:
        """``code_dir`` with the extraction itself on a worker thread."""
        name = sha256_hex(code_sha256)
        if name not in self._extracted:
            await asyncio.to_thread(_extract_once, self.root, name)
            self._extracted.add(name)
        return self.root / name


def _extract_once(root: Path, name: str) -> None:
    """Extract ``<name>.zip`` to ``<name>/`` unless done; a temporary tree is renamed in."""
    target = root / name
    if target.is_dir():
        return
    temporary = Path(tempfile.mkdtemp(dir=root, suffix=".tmp"))
    try:
        _extract(root / f"{name}.zip", temporary)
        os.replace(temporary, target)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)
        if not target.is_dir():  # not a lost race with another extraction
            raise


def _extract(source: Path, destination: Path) -> None:
    with zipfile.ZipFile(source) as archive:
        for member in archive.infolist():
            path = destination / member.filename
            mode = member.external_attr >> 16
            if member.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                os.symlink(archive.read(member).decode(), path)
                continue
            with archive.open(member) as reader, open(path, "wb") as writer:
                shutil.copyfileobj(reader, writer)
            executable = mode & 0o111
            path.chmod(0o444 | (0o555 if executable else 0))


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
