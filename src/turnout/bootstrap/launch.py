"""Entry point of an environment started as a fresh interpreter (no fork-server).

``python -c '…launch.main()' CONFIG_JSON``: the platform has already set the
environment, directory, session and output; this adds the parent-death signal
and limits, then runs the Python runtime or execs a custom runtime's bootstrap.
"""

from __future__ import annotations

import json
import sys

from turnout.bootstrap import sandbox


def main() -> None:
    config = json.loads(sys.argv[1])
    sandbox.die_with_parent(int(config["parent"]))
    sandbox.apply_limits(int(config.get("nofile", sandbox.DEFAULT_NOFILE)))
    hidden = set(config.get("hide_paths", ()))
    sys.path[:] = [entry for entry in sys.path if entry not in hidden]
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True, write_through=True)
    sandbox.run(config, config.get("private_fd"))
