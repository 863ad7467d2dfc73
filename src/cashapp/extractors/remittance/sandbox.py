"""Run an untrusted-input parser in a child process with memory, CPU and wall-clock limits.

RELIABILITY.md 3.1/3.4: a parser crash, hang, ``RecursionError`` or memory blow-up must
never take down the calling worker. ``run_sandboxed("pkg.module:function", data, limits)``
starts ``python -m cashapp.extractors.remittance.sandbox``, which first sets ``RLIMIT_AS``,
``RLIMIT_CPU`` and ``RLIMIT_FSIZE`` (no files written) on itself, then reads ``data`` from
stdin, calls the function and prints its JSON result; the parent enforces the wall clock.
Progress lines the function writes to stderr (``progress: page 3``) name where a failure
happened. (Statements may get their own sandbox in another package; this one is generic
and small on purpose.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cashapp.core.errors import RemittanceParseError


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 20
    wall_seconds: float = 30.0


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:  # pragma: no cover - child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _last_progress(stderr: bytes) -> str | None:
    for line in reversed(stderr.decode("utf-8", "replace").splitlines()):
        if line.startswith("progress: "):
            return line.removeprefix("progress: ").strip()
    return None


def run_sandboxed(target: str, data: bytes, limits: SandboxLimits, *, source: str) -> Any:
    """``target``'s JSON result for ``data``, or ``RemittanceParseError`` naming where it failed."""
    package_root = str(Path(__file__).resolve().parents[3])
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": package_root,
        "PYTHONHASHSEED": "0",
        "LC_ALL": "C.UTF-8",
    }
    try:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "cashapp.extractors.remittance.sandbox",
                target,
                str(limits.memory_bytes),
                str(limits.cpu_seconds),
            ],
            input=data,
            capture_output=True,
            timeout=limits.wall_seconds,
            env=env,
            start_new_session=True,  # the child and anything it starts are killed together
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        where = _last_progress(exc.stderr or b"")
        raise RemittanceParseError(
            f"parser timed out after {limits.wall_seconds:g} s", file=source, element=where
        ) from None
    where = _last_progress(completed.stderr)
    if completed.returncode != 0:
        tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = next(
            (line for line in reversed(tail) if line and not line.startswith("progress: ")), ""
        )
        if completed.returncode < 0:
            reason = f"killed by signal {-completed.returncode} (CPU or memory limit)"
        raise RemittanceParseError(
            f"parser failed: {reason[:200] or 'no output'}", file=source, element=where
        )
    try:
        return json.loads(completed.stdout)
    except ValueError as exc:
        raise RemittanceParseError("parser returned no result", file=source, element=where) from exc


def idle(data: bytes) -> None:
    """Sleeps ``data`` seconds (a self-check of the wall-clock limit, used by the tests)."""
    import time

    time.sleep(float(data.decode() or "60"))


def hog(data: bytes) -> int:
    """Allocates ``data`` bytes (a self-check of the memory limit, used by the tests)."""
    return len(bytearray(int(data.decode())))


def _main() -> int:  # pragma: no cover - the child process
    import importlib

    # limits are set by the child itself, before it reads a byte of the untrusted input
    # (no preexec_fn: it is unsafe in a parent with threads, such as an API worker)
    _apply_limits(int(sys.argv[2]), int(sys.argv[3]))
    module_name, _, function_name = sys.argv[1].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    data = sys.stdin.buffer.read()
    try:
        result = function(data)
    except RecursionError:
        print("RecursionError: the document nests too deeply", file=sys.stderr)
        return 3
    except MemoryError:
        print("MemoryError: over the memory limit", file=sys.stderr)
        return 4
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}"[:300], file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
