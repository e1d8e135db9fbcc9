"""Download of a function's deployment package: where ``GetFunction``'s ``Code.Location`` points.

Lambda answers with a presigned S3 URL valid for 10 minutes; Turnout serves
the stored zip itself at ``/_turnout/code?sha256=<hex digest>``.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import orjson

from turnout.api.codec import Response

if TYPE_CHECKING:
    from turnout.platform import Platform

PATH = "/_turnout/code"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def location(endpoint: str, sha256_hex: str) -> str:
    return f"{endpoint}{PATH}?sha256={sha256_hex}"


async def download_code(platform: Platform, query: dict[str, list[str]]) -> Response:
    digest = (query.get("sha256") or [""])[0]
    path = platform.control.code_zip_by_hex(digest) if _DIGEST.fullmatch(digest) else None
    if path is None or not path.exists():
        body = orjson.dumps({"Type": "User", "message": "No such code package."})
        return Response(404, [(b"content-type", b"application/json")], body)
    data = await asyncio.to_thread(path.read_bytes)
    return Response(200, [(b"content-type", b"application/zip")], data)
