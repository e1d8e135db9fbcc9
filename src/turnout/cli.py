"""``turnout`` command line: ``serve`` runs the platform; the others inspect it."""

from __future__ import annotations

import sys
from collections.abc import Callable

from turnout.settings import settings_from

USAGE = """usage: turnout COMMAND [options]

commands:
  serve                      run Turnout (--host --port --data-dir --account-id --region ...;
                             every option is also a TURNOUT_* environment variable)
  logs FUNCTION              START/END/REPORT lines and output (--qualifier Q, --follow)
  metrics FUNCTION[:QUAL]    per-minute, per-version invocations, errors, durations
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


def _logs(argv: list[str]) -> int:
    from turnout.observe.commands import logs_command

    return logs_command(argv)


def _metrics(argv: list[str]) -> int:
    from turnout.observe.commands import metrics_command

    return metrics_command(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "serve": _serve,
    "logs": _logs,
    "metrics": _metrics,
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
