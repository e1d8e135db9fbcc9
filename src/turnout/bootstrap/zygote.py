"""The fork-server: a pre-imported interpreter that forks one child per new environment.

The platform starts it with one end of a ``SOCK_SEQPACKET`` socket pair. Each
message asks for an environment (JSON config, plus the output pipe as an
``SCM_RIGHTS`` descriptor); the answer names the child's pid. When a child
exits, the zygote (its parent) reaps it and reports the wait status.
Heavy modules (boto3 included) are imported once here and frozen out of the
garbage collector, so children share those pages instead of copying them.
"""

from __future__ import annotations

import array
import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import sys

from turnout.bootstrap import runtime, sandbox

MAX_MESSAGE = 1 << 20


def preload() -> None:
    """Import what most functions import, before any fork."""
    for name in ("boto3", "botocore.session", "urllib.request", "decimal", "uuid", "datetime"):
        with contextlib.suppress(ImportError):
            __import__(name)
    assert runtime.API  # the runtime itself is preloaded by the import above


def receive(sock: socket.socket) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(fds.itemsize * 4))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(data) - len(data) % fds.itemsize
            fds.frombytes(data[:usable])
    return message, list(fds)


def spawn(sock: socket.socket, closing: list[int], message: bytes, fds: list[int]) -> None:
    request = json.loads(message)
    out_fd = fds[0]
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            sock.close()
            for fd in closing:
                os.close(fd)
            sandbox.enter(request, out_fd, parent=os.getppid())
            sandbox.run(request)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(out_fd)
    sock.send(json.dumps({"id": request["id"], "pid": pid}).encode())


def reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock.send(json.dumps({"exit": pid, "status": status}).encode())


def main() -> None:
    fd = int(sys.argv[1])
    sandbox.die_with_parent(int(sys.argv[2]))
    preload()
    sock = socket.socket(fileno=fd)
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    closing = [wake_read, wake_write, selector.fileno()] if hasattr(selector, "fileno") \
        else [wake_read, wake_write]
    while True:
        for key, _ in selector.select():
            if key.fileobj is sock:
                message, fds = receive(sock)
                if not message:  # the platform closed its end: stop
                    os._exit(0)
                spawn(sock, closing, message, fds)
            else:
                try:
                    while os.read(wake_read, 4096):
                        pass
                except BlockingIOError:
                    pass
                reap(sock)
