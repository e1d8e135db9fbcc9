"""``turnout`` command line: ``serve`` runs the platform; the others inspect it."""

from __future__ import annotations

import argparse
import sys

from turnout.settings import settings_from

USAGE = """usage: turnout COMMAND [options]

commands:
  serve                 run Turnout (options: --host --port --data-dir --account-id --region ...;
                        every option is also a TURNOUT_* environment variable)
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE, end="")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "serve":
        from turnout.server import run

        return run(settings_from(rest))
    parser = argparse.ArgumentParser(prog="turnout")
    parser.error(f"unknown command {command!r}")
    return 2
