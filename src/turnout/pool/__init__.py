"""Execution environments: worker processes speaking the Lambda Runtime API.

The pool knows nothing of aliases, HTTP or SQL: it runs an ``EnvironmentSpec``.
"""
