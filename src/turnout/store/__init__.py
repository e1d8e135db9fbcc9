"""Durable state: SQLite (WAL) behind one writer thread, and content-addressed code."""
