"""Invocation path: routing (version pick), admission (concurrency ledger)."""
