"""Turnout: AWS Lambda's functions, versions and aliases, self-hosted and really executed."""

__version__ = "0.1.0"
