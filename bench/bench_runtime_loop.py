"""CPU cost of the Python runtime's warm invocation loop, without the platform.

Runs Turnout's own runtime (``turnout.bootstrap.runtime.main``) in a child
process against a fake Runtime API endpoint served here, on 127.0.0.1, by a
blocking loop that answers as fast as it can and pipelines like the platform
does: the ``202`` of a response and the next event leave in one write. The
child's CPU time comes from ``wait4``'s resource usage once the endpoint
closes the connection (the runtime then exits). A run of ``--count``
invocations minus a run of ``--baseline`` invocations, divided by the
difference, is the cost of one warm invocation with start-up taken out.

With ``--callgrind`` the child runs under ``valgrind --tool=callgrind`` (it
must be installed) and the figure is instructions per invocation, which does
not depend on what else the machine is doing (valgrind is ~50x slower: use a
smaller ``--count``, e.g. ``--count 2000 --baseline 200 --repeat 1``). A first
throwaway run compiles the runtime's bytecode, so that neither measured run
pays for it, and ``PYTHONHASHSEED`` is fixed under callgrind.

``--preload`` imports what the fork-server imports (boto3 included) and
freezes the collector before the runtime starts, as a forked environment has.

    .venv/bin/python -m bench.bench_runtime_loop [--count N] [--baseline N]
        [--repeat R] [--preload] [--callgrind]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from turnout.pool.runtime_api import event_headers

HELLO = "def handler(event, context):\n    return {'hello': 'world'}\n"
TIME_LIMIT_S = 120.0  # one run, whatever the count
ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n" \
           b"Content-Length: 15\r\n\r\n{\"status\":\"OK\"}"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:hello"
WORKER = ("import gc, sys\n"
          "if sys.argv[1] == 'preload':\n"
          "    from turnout.bootstrap import zygote\n"
          "    zygote.preload()\n"
          "    gc.freeze()\n"
          "from turnout.bootstrap import runtime\n"
          "runtime.main()\n")


@dataclass(frozen=True)
class Run:
    invocations: int
    errors: int
    user_s: float
    system_s: float
    minor_faults: int
    context_switches: int  # voluntary: waits for the next event
    rss_kb: int  # resident when the last event was asked for
    instructions: int  # 0 unless run under callgrind


def event(number: int, payload: bytes) -> bytes:
    """One ``GET /next`` answer, shaped like the platform's."""
    headers = event_headers(f"{number:08x}-0000-4000-8000-000000000000",
                            int(time.time() * 1000) + 3_000_000, ARN,
                            f"Root=1-00000000-{number:024x};Sampled=0", None, None)
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d" \
           b"\r\n%s\r\n%s" % (len(payload), headers, payload)


def content_length(head: bytes) -> int:
    """The ``Content-Length`` of a lower-cased request head (0 when absent)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return int(value)
    return 0


def resident_kb(pid: int) -> int:
    """VmRSS of a live process, from ``/proc``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serve(conn: socket.socket, count: int, payload: bytes, deadline: float) -> tuple[int, int]:
    """Answer requests until ``count`` events were served, then close; (served, errors)."""
    buffer = b""
    served = errors = 0
    pending: list[bytes] = []
    while time.monotonic() < deadline:
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            head = buffer[:end].lower()
            length = content_length(head)
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length:]
            if head.startswith(b"get "):
                if served == count:
                    return served, errors
                pending.append(event(served, payload))
                conn.sendall(b"".join(pending))
                pending.clear()
                served += 1
            else:
                errors += b"/error " in head.partition(b"\r\n")[0]
                pending.append(ACCEPTED)
        chunk = conn.recv(262144)
        if not chunk:
            break
        buffer += chunk
    return served, errors


def run_once(count: int, payload: bytes, preload: bool, callgrind: bool) -> Run:
    with tempfile.TemporaryDirectory() as root, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        Path(root, "index.py").write_text(HELLO)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(60)
        port = listener.getsockname()[1]
        src = str(Path(__file__).resolve().parent.parent / "src")
        # About the variables an environment gets (turnout.pool.variables), not this shell's.
        env = {"PATH": os.environ.get("PATH", os.defpath), "AWS_REGION": "us-east-1",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
               "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_SESSION_TOKEN": "bench", "AWS_CONFIG_FILE": os.devnull,
               "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "TZ": ":UTC", "LANG": "en_US.UTF-8",
               "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11", "TMPDIR": root,
               "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "LAMBDA_RUNTIME_DIR": src,
               "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
               "_HANDLER": "index.handler", "LAMBDA_TASK_ROOT": root,
               "AWS_LAMBDA_FUNCTION_NAME": "hello", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
               "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/hello",
               "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
               "PYTHONUNBUFFERED": "1", "PYTHONPATH": src}
        command = [sys.executable, "-c", WORKER, "preload" if preload else "bare"]
        out = Path(root, "callgrind.out")
        if callgrind:
            env["PYTHONHASHSEED"] = "0"  # the same dict probes in both runs
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                       *command]
        child = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(60)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                served, errors = serve(conn, count, payload, time.monotonic() + TIME_LIMIT_S)
                rss_kb = resident_kb(child.pid)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if child.returncode is None:
                child.kill()
                child.wait()
        instructions = 0
        if callgrind:
            match = re.search(r"^summary:\s+(\d+)", out.read_text(), re.MULTILINE)
            instructions = int(match.group(1)) if match else 0
        return Run(served, errors, usage.ru_utime, usage.ru_stime, usage.ru_minflt,
                   usage.ru_nvcsw, rss_kb, instructions)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="best of R pairs of runs")
    parser.add_argument("--payload", default="{}")
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    payload = args.payload.encode()
    run_once(1, payload, args.preload, False)  # compiles and caches the runtime's bytecode
    figures = []
    for _ in range(args.repeat):
        small = run_once(args.baseline, payload, args.preload, args.callgrind)
        large = run_once(args.count, payload, args.preload, args.callgrind)
        assert large.errors == 0 and large.invocations == args.count, large
        n = large.invocations - small.invocations
        figures.append(((large.user_s - small.user_s) / n * 1e6,
                        (large.system_s - small.system_s) / n * 1e6,
                        (large.minor_faults - small.minor_faults) / n,
                        (large.context_switches - small.context_switches) / n,
                        (large.rss_kb - small.rss_kb) * 1024 / n,
                        (large.instructions - small.instructions) / n))
    user_us, system_us, faults, switches, growth, instructions = min(
        figures, key=lambda f: f[0] + f[1])
    print(f"invocations={args.count} user_us={user_us:.1f} system_us={system_us:.1f} "
          f"cpu_us={user_us + system_us:.1f} minor_faults={faults:.2f} "
          f"context_switches={switches:.2f} rss_growth_bytes={growth:.0f}"
          + (f" instructions={instructions:.0f}" if args.callgrind else ""))


if __name__ == "__main__":
    main()
