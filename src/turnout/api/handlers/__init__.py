"""Handlers of the control-plane operations, one module per resource; importing registers them."""

from turnout.api.handlers import (
    account,
    aliases,
    concurrency,
    event_invoke,
    functions,
    invoke,
    tags,
    versions,
)

__all__ = ["account", "aliases", "concurrency", "event_invoke", "functions", "invoke", "tags",
           "versions"]
