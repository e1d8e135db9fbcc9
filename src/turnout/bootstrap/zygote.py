"""The fork-server: a pre-imported interpreter that forks one child per new environment.

The platform starts it with one end of a ``SOCK_SEQPACKET`` socket pair. Each
message asks for an environment (JSON config, plus as ``SCM_RIGHTS`` descriptors
the output pipe and, for a Python runtime, the environment's private Runtime API
socket); the answer names the child's pid. When a child
exits, the zygote (its parent) reaps it and reports the wait status.

Heavy modules (boto3 included) are imported once here and frozen out of the
garbage collector, so children share those pages instead of copying them. One
*spare* child is always forked ahead, already detached and waiting for its
config: a request is answered by handing the config to the spare, and the
next spare is forked afterwards, off the cold start's path.
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

from turnout.bootstrap import runtime, sandbox, sdk

MAX_MESSAGE = 1 << 20
Spare = tuple[int, socket.socket]  # (pid, socket to hand it its config)


def preload() -> None:
    """Import what most functions import, and warm the SDK's data, before any fork."""
    for name in ("boto3", "botocore.session", "urllib.request", "decimal", "uuid", "datetime"):
        with contextlib.suppress(ImportError):
            __import__(name)
    sdk.warm()
    assert callable(runtime.main)  # the runtime itself is preloaded by the import above


def receive(sock: socket.socket) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(fds.itemsize * 4))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(data) - len(data) % fds.itemsize
            fds.frombytes(data[:usable])
    return message, list(fds)


def fork_spare(platform: socket.socket, closing: list[int]) -> Spare:
    """Fork a child that detaches, then waits for the config of the environment it becomes."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            platform.close()
            ours.close()
            for fd in closing:
                os.close(fd)
            sandbox.detach(parent=os.getppid())
            message, fds = receive(theirs)
            theirs.close()
            if not message or not fds:
                os._exit(0)
            request = json.loads(message)
            sandbox.configure(request, fds[0])
            sandbox.run(request, fds[1] if len(fds) > 1 else None)
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
    theirs.close()
    return pid, ours


def hand_over(spare: Spare, message: bytes, fds: list[int]) -> int:
    pid, sock = spare
    try:
        rights = array.array("i", fds)
        sock.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)])
    finally:
        sock.close()
        for fd in fds:
            os.close(fd)
    return pid


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
    spare = fork_spare(sock, closing)
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    while True:
        for key, _ in selector.select():
            if key.fileobj is sock:
                message, fds = receive(sock)
                if not message:  # the platform closed its end: stop
                    os._exit(0)
                request_id = json.loads(message)["id"]
                pid = hand_over(spare, message, fds)
                sock.send(json.dumps({"id": request_id, "pid": pid}).encode())
                spare = fork_spare(sock, closing)
            else:
                try:
                    while os.read(wake_read, 4096):
                        pass
                except BlockingIOError:
                    pass
                reap(sock)
