"""Build the compiled copy of Turnout that ``make run`` serves.

    python tools/build_compiled.py DIR

Every invocation passes through one event-loop thread, so the Python it runs per
invocation bounds throughput. mypyc (it ships with the pinned mypy) compiles the
modules on that path to C extensions from the same typed sources: about 30%
fewer instructions per invocation (docs/performance.md). The copy is built
outside the source tree, in ``DIR/turnout``: the package's sources with an
extension module beside each compiled one (Python imports the extension
first), so an edited ``.py`` in ``src`` never hides behind a stale build; make
rebuilds the copy whenever a source changes.

Without a C compiler the build fails; it then says so, leaves no copy, and
exits 0: ``make run`` serves the pure-Python sources, which behave the same.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The modules an invocation runs through (front end, routing, admission, pool,
# records). The rest (control plane, store, events, bootstrap) stays Python: the
# bootstrap must, since it runs inside environments, possibly on other interpreters.
COMPILED = [
    "api/http.py", "api/app.py", "api/codec.py", "api/validate.py", "api/handlers/invoke.py",
    "api/spec.py", "api/registry.py", "api/context.py",
    "invoke/invoker.py", "invoke/admission.py", "invoke/routing.py", "invoke/provisioning.py",
    "pool/pool.py", "pool/environment.py", "pool/runtime_api.py", "pool/lifecycle.py",
    "pool/spec.py",
    "observe/metrics.py", "observe/sketch.py", "observe/logs.py",
    "ids.py", "arns.py", "limits.py", "models.py", "states.py", "store/registry.py",
]


def copy_sources(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "src" / "turnout", target / "turnout",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))


def compile_modules(target: Path) -> None:
    from mypyc.build import mypycify
    from setuptools import setup

    work = target / ".build"
    # Paths relative to the copy, so each extension lands beside its source there.
    os.chdir(target)
    setup(name="turnout-compiled",
          ext_modules=mypycify([f"--config-file={ROOT / 'pyproject.toml'}",
                                *(f"turnout/{module}" for module in COMPILED)],
                               target_dir=str(work / "c"), opt_level="3"),
          script_args=["--quiet", "build_ext", "--inplace", "--build-temp", str(work / "tmp"),
                       "--build-lib", str(work / "lib")])
    shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    target = Path(sys.argv[1]).resolve()
    sys.stderr.write(f"compiling {len(COMPILED)} modules of the invocation path with mypyc "
                     "(about a minute, once per change)\n")
    copy_sources(target)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            compile_modules(target)
    except (Exception, SystemExit) as exc:  # setuptools reports a compiler failure by exiting
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        sys.stderr.write(f"{output.getvalue()}\nthe compiled build failed ({exc}); "
                         "Turnout will run from its Python sources\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
