"""Turning a fresh child process into an execution environment (runs in the child).

Own session and process group (so a timeout kills everything the function
started), death with its parent (``PR_SET_PDEATHSIG``), resource limits, the
function's environment and directory, and output into the platform's pipe.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
DEFAULT_NOFILE = 1024  # Lambda's file descriptor limit


_libc: ctypes.CDLL | None = None


def die_with_parent(expected_parent: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies; exit if it already has."""
    global _libc
    libc = _libc = _libc or ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        os._exit(70)
    if os.getppid() != expected_parent:  # the parent died before prctl took effect
        os._exit(70)


def apply_limits(nofile: int = DEFAULT_NOFILE) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = nofile if hard == resource.RLIM_INFINITY else min(nofile, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, soft))


def redirect_output(out_fd: int) -> None:
    """stdin from /dev/null; stdout and stderr into the platform's pipe, unbuffered."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    if out_fd > 2:
        os.close(out_fd)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True, write_through=True)


def replace_environment(variables: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(variables)


def detach(parent: int) -> None:
    """A forked child's first step: own session and process group, death with ``parent``."""
    if os.getpid() != os.getpgid(0):
        os.setsid()
    die_with_parent(parent)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def configure(config: dict[str, object], out_fd: int) -> None:
    """Apply one environment's output pipe, paths, directory, variables and limits."""
    redirect_output(out_fd)
    hidden = set(config.get("hide_paths", ()))  # type: ignore[call-overload]
    sys.path[:] = [entry for entry in sys.path if entry not in hidden]
    os.chdir(str(config["cwd"]))
    sys.argv[:] = [os.path.join(os.path.dirname(__file__), "runtime.py")]
    replace_environment(dict(config["env"]))  # type: ignore[call-overload]
    apply_limits(int(config.get("nofile", DEFAULT_NOFILE)))  # type: ignore[call-overload]


def run(config: dict[str, object], private_fd: int | None = None) -> None:
    """Run the environment's runtime: our Python runtime in-process (over ``private_fd``,
    its private Runtime API socket, when given), or exec a custom runtime's bootstrap."""
    if config["mode"] == "exec":
        path = str(config["exec_path"])
        os.execv(path, [path])
    from turnout.bootstrap import runtime

    runtime.main(private_fd)
