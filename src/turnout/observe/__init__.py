"""Observability: per-version metrics and invocation logs."""
