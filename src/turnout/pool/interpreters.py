"""Which interpreter runs a runtime id, by configuration.

``TURNOUT_RUNTIME_PYTHON3_12=/usr/bin/python3.12`` maps ``python3.12``; an
unmapped Python runtime runs on the host interpreter (``sys.executable``), with
one warning per runtime id when the host's version differs. Custom runtimes
(``provided.*``) exec their own ``bootstrap``; the host interpreter only starts it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)


def variable_name(runtime: str) -> str:
    return "TURNOUT_RUNTIME_" + runtime.upper().replace(".", "_").replace("-", "_")


class Interpreters:
    def __init__(self, environ: Mapping[str, str] | None = None,
                 host: str = sys.executable) -> None:
        self._environ = os.environ if environ is None else environ
        self.host = host
        self._warned: set[str] = set()

    def resolve(self, runtime: str) -> str:
        configured = self._environ.get(variable_name(runtime))
        if configured and os.access(configured, os.X_OK):
            return configured
        host_runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if runtime.startswith("python") and runtime != host_runtime \
                and runtime not in self._warned:
            self._warned.add(runtime)
            log.warning("no interpreter configured for %s (set %s); running it on %s (%s)",
                        runtime, variable_name(runtime), self.host, host_runtime)
        return self.host
