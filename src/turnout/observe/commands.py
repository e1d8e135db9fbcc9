"""``turnout logs`` and ``turnout metrics``: what functions printed, and how they ran."""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, TextIO

import orjson

from turnout.observe.logs import LogStore

FOLLOW_POLL_S = 0.25


def _endpoint_option(parser: argparse.ArgumentParser) -> None:
    port = os.environ.get("TURNOUT_PORT", "9001")
    parser.add_argument("--endpoint", default=f"http://127.0.0.1:{port}",
                        help="Turnout's address (default: %(default)s)")


def _alias_versions(endpoint: str, function: str, alias: str) -> list[str]:
    """The versions an alias routes to, from the running Turnout (GetAlias)."""
    import boto3

    client = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="turnout", aws_secret_access_key="turnout")
    record = client.get_alias(FunctionName=function, Name=alias)
    weights = (record.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return [record["FunctionVersion"], *weights]


def _versions(store: LogStore, function: str, qualifier: str | None, endpoint: str) -> list[str]:
    if qualifier is None:  # the whole log group: every version that has written
        folder = store.path(function, "$LATEST").parent
        return sorted(p.stem for p in folder.glob("*.log")) if folder.exists() else []
    if qualifier == "$LATEST" or qualifier.isdigit():
        return [qualifier]
    return _alias_versions(endpoint, function, qualifier)


def logs_command(argv: list[str], out: TextIO = sys.stdout) -> int:
    """``turnout logs FUNCTION [--qualifier Q] [--follow]``: START/END/REPORT and output."""
    parser = argparse.ArgumentParser(prog="turnout logs")
    parser.add_argument("function")
    parser.add_argument("--qualifier", help="a version, $LATEST or an alias (default: all)")
    parser.add_argument("--follow", "-f", action="store_true")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("TURNOUT_DATA_DIR", ".turnout")))
    _endpoint_option(parser)
    args = parser.parse_args(argv)
    store = LogStore(args.data_dir)
    versions = _versions(store, args.function, args.qualifier, args.endpoint)
    offsets = dict.fromkeys(versions, 0)
    try:
        while True:
            for version in versions:
                lines, offsets[version] = store.read(args.function, version, offsets[version])
                for line in lines:
                    print(line, file=out, flush=True)
            if not args.follow:
                return 0
            time.sleep(FOLLOW_POLL_S)
    except KeyboardInterrupt:
        return 0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def metrics_command(argv: list[str], out: TextIO = sys.stdout) -> int:
    """``turnout metrics FUNCTION[:QUALIFIER] [--minutes N]``: a per-minute, per-version table."""
    parser = argparse.ArgumentParser(prog="turnout metrics")
    parser.add_argument("target", help="FUNCTION or FUNCTION:QUALIFIER")
    parser.add_argument("--minutes", type=int, default=15)
    _endpoint_option(parser)
    args = parser.parse_args(argv)
    function, _, qualifier = args.target.partition(":")
    query = {"function": function, "since": str(time.time() - args.minutes * 60)}
    if qualifier:
        query["resource"] = args.target
    url = f"{args.endpoint}/_turnout/metrics?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        result = orjson.loads(response.read())
    columns = ["Invocations", "Errors", "Throttles", "ColdStarts", "ConcurrentExecutions",
               "ProvisionedConcurrencySpilloverInvocations"]
    header = ["MINUTE (UTC)", "RESOURCE", "VERSION", "INVOKES", "ERRORS", "THROTTLES", "COLD",
              "CONC", "SPILL", "P50 MS", "P99 MS", "MAX MS"]
    rows = []
    for series in result["Series"]:
        for window in series["Windows"]:
            if not any(window.get(c) for c in columns):
                continue  # a quiet minute
            duration = window.get("Duration") or {}
            rows.append([time.strftime("%H:%M", time.gmtime(window["Timestamp"])),
                         series["Resource"], series["ExecutedVersion"] or "-",
                         *(_cell(window.get(c)) for c in columns),
                         _cell(duration.get("p50")), _cell(duration.get("p99")),
                         _cell(duration.get("Maximum"))])
    if not rows:
        print(f"no invocations of {args.target} in the last {args.minutes} minutes", file=out)
        return 0
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *sorted(rows)]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)), file=out)
    return 0
