"""Observability: invocation logs (and, from other modules, metrics)."""
