"""``turnout`` command line: ``serve`` runs the platform; the others inspect it."""

from __future__ import annotations

import sys
from collections.abc import Callable

from turnout.settings import settings_from

USAGE = """usage: turnout COMMAND [options]

commands:
  serve                      run Turnout (--host --port --data-dir --account-id --region ...;
                             every option is also a TURNOUT_* environment variable)
  queue                      asynchronous events by state (--data-dir, --state, --function)
  destinations tail ARN      records a local destination or dead-letter sink received
                             (--follow)

run `turnout COMMAND --help` for a command's options.
"""


def _serve(argv: list[str]) -> int:
    from turnout.server import run

    return run(settings_from(argv))


def _queue(argv: list[str]) -> int:
    from turnout.events.commands import queue_command

    return queue_command(argv)


def _destinations(argv: list[str]) -> int:
    from turnout.events.commands import destinations_command

    return destinations_command(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "serve": _serve,
    "queue": _queue,
    "destinations": _destinations,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE, end="")
        return 0 if args else 2
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"turnout: unknown command {args[0]!r}\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    return command(args[1:])
