"""``turnout queue`` and ``turnout destinations tail ARN``: inspect the asynchronous path
of a data directory (the platform may be running; these only read).

The CLI dispatches ``queue`` to ``queue_command`` and ``destinations`` to
``destinations_command`` with the remaining arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO

import orjson

from turnout.events.queue import QUEUE_FILE, EventQueue, QueuedEvent
from turnout.events.records import iso_timestamp
from turnout.events.sinks import read_sink
from turnout.events.states import EventState


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("TURNOUT_DATA_DIR", ".turnout")))


def _row(event: QueuedEvent) -> str:
    qualified = f"{event.function_name}:{event.qualifier or '$LATEST'}"
    waiting = iso_timestamp(event.not_before) if event.state in (
        EventState.QUEUED, EventState.RETRY_WAIT) else "-"
    outcome = event.condition or (f"last {event.last_status}" if event.last_status else "-")
    return (f"{event.id:<38} {qualified:<32} {event.state:<10} {event.attempts:>8} "
            f"{iso_timestamp(event.received_at):<25} {waiting:<25} {outcome}")


async def _show_queue(data_dir: Path, state: EventState | None, function: str | None,
                      limit: int, out: TextIO) -> None:
    queue = EventQueue.in_data_dir(data_dir)
    await queue.open()
    try:
        counts = await queue.counts()
        outbox = await queue.outbox.counts()
        events = await queue.list(state=state, function_name=function, limit=limit)
    finally:
        await queue.close()
    print("  ".join(f"{name} {count}" for name, count in counts.items()), file=out)
    print(f"outbox: PENDING {outbox.get('PENDING', 0)}  ABANDONED {outbox.get('ABANDONED', 0)}",
          file=out)
    if events:
        print(f"{'REQUEST ID':<38} {'FUNCTION':<32} {'STATE':<10} {'ATTEMPTS':>8} "
              f"{'RECEIVED':<25} {'NEXT ATTEMPT':<25} OUTCOME", file=out)
        for event in events:
            print(_row(event), file=out)


def queue_command(argv: list[str], out: TextIO = sys.stdout) -> int:
    """``turnout queue [--state S] [--function NAME] [--limit N]``: counts per state and
    the oldest events (by default those not DONE are all listed up to the limit)."""
    parser = argparse.ArgumentParser(prog="turnout queue")
    _data_dir_option(parser)
    parser.add_argument("--state", choices=[str(state) for state in EventState])
    parser.add_argument("--function")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv)
    if not (args.data_dir / QUEUE_FILE).exists():
        print(f"no event queue in {args.data_dir}", file=out)
        return 1
    state = EventState(args.state) if args.state else None
    asyncio.run(_show_queue(args.data_dir, state, args.function, args.limit, out))
    return 0


def destinations_command(argv: list[str], out: TextIO = sys.stdout) -> int:
    """``turnout destinations tail ARN [--follow]``: the messages a local sink received,
    one JSON document per line."""
    parser = argparse.ArgumentParser(prog="turnout destinations")
    actions = parser.add_subparsers(dest="action", required=True)
    tail = actions.add_parser("tail", help="print the messages sent to a destination ARN")
    tail.add_argument("arn")
    tail.add_argument("--follow", "-f", action="store_true", help="wait for more")
    _data_dir_option(tail)
    args = parser.parse_args(argv)
    try:
        for message in read_sink(args.data_dir, args.arn, follow=args.follow):
            print(orjson.dumps(message).decode(), file=out, flush=True)
    except KeyboardInterrupt:
        return 130
    return 0
