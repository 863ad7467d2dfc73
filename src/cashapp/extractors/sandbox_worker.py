"""The zygote and its workers: the side of the sandbox that runs untrusted parses.

RELIABILITY.md 3.1/3.4. The caller side (``sandbox``: the API, the zygote pool, the
timeouts, turning outcomes into ``InputError``) starts this module as the **zygote**:
``python -s -B -m cashapp.extractors.sandbox_worker``, with a clean environment. The zygote
lowers its own file-size and core limits, imports the readers and pdfplumber once
(``gc.freeze`` afterwards, so that a worker's garbage collector does not copy the shared
pages), then serves requests on its stdin/stdout: one JSON header line (what to read or
call, the limits) and the bytes. The zygote itself never parses a byte of a file; the
memory limit counts what it loaded, as it counted the readers before.

For each request it forks a **worker**, which first of all

- puts ``/dev/null`` on its stdin and stdout (it cannot write into the zygote's channel),
  a pipe on its stderr (progress lines such as ``progress: page 3`` name where a failure
  happened), asks to be killed if the zygote dies (``PR_SET_PDEATHSIG``);
- sets ``RLIMIT_AS`` (memory), ``RLIMIT_CPU`` (its CPU clock starts at zero: fork resets
  it), ``RLIMIT_FSIZE=0`` (no file written) and ``RLIMIT_CORE=0`` on itself,

and only then reads the file (from the bytes it inherited, or the path, bounded by the size
cap), runs the reader and writes one JSON answer on a pipe. The zygote enforces the wall
clock (SIGKILL at the deadline) and sends back the answer, the exit status and the stderr
tail (``WorkerOutcome``).

A worker that itself needs a sandboxed parse (an email's PDF attachment, through
``sandbox.run_sandboxed``) forks a **sub-worker** directly (``inside_worker`` is set), with
the parser's own limits (never above its own: hard limits only go down) and wall clock.

This module's top level imports only ``core`` and ``domain``; the zygote imports the readers.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import selectors
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cashapp.core.errors import InputError
from cashapp.domain.statements import StatementFile

STDERR_TAIL_BYTES = 64 * 1024
_HEADER_BYTES = 1024 * 1024

inside_worker = False  # set in a worker: nested sandboxed calls fork from it directly
_answer_fd: int | None = None  # in a worker: where its answer goes


@dataclass(slots=True)
class WorkerOutcome:
    """What a worker left: its exit code (negative: the signal), whether the wall clock
    stopped it, its answer bytes and the tail of its stderr."""

    code: int
    timed_out: bool
    answer: bytes
    stderr: bytes


def serve(request: dict[str, Any], payload: bytes) -> WorkerOutcome:
    """Fork a worker for ``request``, wait for it (at most its wall clock), collect it."""
    memory, cpu, wall = int(request["memory"]), int(request["cpu"]), float(request["wall"])
    if request.get("kind") == "call":
        job: Callable[[], bytes] = lambda: _call(str(request["target"]), payload)  # noqa: E731
    else:
        job = lambda: _read(request, payload)  # noqa: E731
    return _fork_worker(job, memory=memory, cpu=cpu, wall=wall)


def _fork_worker(
    job: Callable[[], bytes], *, memory: int, cpu: int, wall: float
) -> WorkerOutcome:
    answer_read, answer_write = os.pipe()
    stderr_read, stderr_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker
        code = 70
        try:
            os.close(answer_read)
            os.close(stderr_read)
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(stderr_write, 2)
            os.close(null)
            os.close(stderr_write)
            global _answer_fd
            if _answer_fd is not None:  # a nested worker: its parent's answer pipe is not its
                os.close(_answer_fd)
            _answer_fd = answer_write
            _die_with(parent)
            _limit(memory, cpu)
            global inside_worker
            # from here on ``sandbox`` forks nested calls directly: it never takes a zygote
            # from its pool (empty here anyway) and the worker leaves by ``os._exit``
            inside_worker = True
            answer = job()
            view = memoryview(answer)
            while view:
                view = view[os.write(answer_write, view) :]
            code = 0
        finally:
            os._exit(code)
    os.close(answer_write)
    os.close(stderr_write)
    received, errors, timed_out = bytearray(), bytearray(), False
    deadline = time.monotonic() + wall
    with selectors.DefaultSelector() as selector:
        selector.register(answer_read, selectors.EVENT_READ, received)
        selector.register(stderr_read, selectors.EVENT_READ, errors)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            events = selector.select(remaining) if remaining > 0 else []
            if not events:
                timed_out = True
                break
            for key, _ in events:
                chunk = os.read(key.fd, 1024 * 1024)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                key.data.extend(chunk)
                if key.data is errors and len(errors) > 2 * STDERR_TAIL_BYTES:
                    del errors[:-STDERR_TAIL_BYTES]
    if timed_out:
        _kill(pid)
    os.close(answer_read)
    os.close(stderr_read)
    _, status = os.waitpid(pid, 0)
    return WorkerOutcome(
        code=os.waitstatus_to_exitcode(status),
        timed_out=timed_out,
        answer=bytes(received),
        stderr=bytes(errors[-STDERR_TAIL_BYTES:]),
    )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _libc() -> Any:
    """The C library (for ``prctl``), loaded once in the zygote; None where there is none."""
    global _libc_handle
    if _libc_handle is None:
        try:
            import ctypes

            _libc_handle = ctypes.CDLL(None, use_errno=True)
        except OSError:
            _libc_handle = False
    return _libc_handle or None


_libc_handle: Any = None


def _die_with(parent: int) -> None:  # pragma: no cover - the worker
    """Have the kernel kill this worker when the process that forked it dies."""
    libc = _libc()
    prctl = getattr(libc, "prctl", None)
    if prctl is not None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG (Linux)
    if os.getppid() != parent:
        os._exit(70)


def _limit(memory: int, cpu: int) -> None:
    """Lower this process's limits (never above the ones it inherited: a nested worker gets
    the smaller of its own and its parent's)."""

    def lower(which: int, soft: int, hard: int) -> None:
        _, current = resource.getrlimit(which)
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(which, (soft, hard))

    lower(resource.RLIMIT_AS, memory, memory)
    lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _call(target: str, data: bytes) -> bytes:
    """A ``run_sandboxed`` request in the worker: ``{"ok": true, "result": ...}`` or the
    failure as ``{"ok": false, "message": ...}``."""
    try:
        result = _function(target)(data)
        return json.dumps({"ok": True, "result": result}).encode("utf-8")
    except RecursionError:
        message = "RecursionError: the document nests too deeply"
    except MemoryError:
        message = "MemoryError: over the memory limit"
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:300]
    return json.dumps({"ok": False, "message": message}).encode("utf-8")


def _read(request: dict[str, Any], payload: bytes) -> bytes:
    """A ``read_in_sandbox`` request in the worker: the inspect JSON or the error."""
    answer = _read_answer(request, payload, int(request["max_bytes"]), int(request["memory"]))
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def _read_answer(
    request: dict[str, Any], payload: bytes, max_bytes: int, memory: int
) -> dict[str, Any]:
    source = str(request["source"])
    try:
        from cashapp.extractors.inspect_json import remittance_file_json, statement_file_json
        from cashapp.extractors.read import read_bytes

        if request.get("path"):
            with Path(request["path"]).open("rb") as handle:  # bounded: it may have grown
                data = handle.read(max_bytes + 1)
        else:
            data = payload[: max_bytes + 1]
        if request.get("reader"):
            parsed = _function(str(request["reader"]), default="extract")(data, source=source)
        else:
            parsed = read_bytes(data, source=source, max_bytes=max_bytes)
        del data
        if isinstance(parsed, StatementFile):
            result = statement_file_json(parsed)
        else:
            result = remittance_file_json(parsed)
        return {"ok": True, "result": result}
    except InputError as exc:
        return {
            "ok": False,
            "error": {
                "class": type(exc).__name__,
                "message": exc.reason,
                "line": exc.line,
                "element": exc.element,
                "column": exc.column,
            },
        }
    except MemoryError:
        message = f"reading needed more than the {memory // (1024 * 1024)} MB memory limit"
    except RecursionError:
        message = "the file is nested too deeply to read"
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror}"
    except Exception as exc:  # a reader bug must still be a clean InputError
        message = f"the reader failed on this file ({type(exc).__name__}: {exc})"
    return {"ok": False, "error": {"class": "InputError", "message": message}}


def _function(spec: str, *, default: str = "") -> Any:
    import importlib

    module_name, _, function = spec.partition(":")
    return getattr(importlib.import_module(module_name), function or default)


def idle(data: bytes) -> None:
    """Sleeps ``data`` seconds (a self-check of the wall-clock limit, used by the tests)."""
    time.sleep(float(data.decode() or "60"))


def hog(data: bytes) -> int:
    """Allocates ``data`` bytes (a self-check of the memory limit, used by the tests)."""
    return len(bytearray(int(data.decode())))


def _warm() -> None:
    """Load what reading needs once, in the zygote, before any worker is forked."""
    try:
        from cashapp.extractors import inspect_json, read
        from cashapp.extractors.registry import remittance_readers, statement_readers

        del inspect_json, read
        statement_readers()
        remittance_readers()
        import pdfplumber  # the PDF parser (pdf_pages imports it on use)

        del pdfplumber
        _libc()
    except Exception:  # noqa: S110 - a broken reader fails again, reported, when used
        pass


def zygote_main() -> int:  # pragma: no cover - the zygote process
    """Serve requests from stdin until it closes (see the module docstring)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _warm()
    import gc

    gc.freeze()  # what the zygote loaded is never collected in a worker: no copy-on-write
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = requests.readline(_HEADER_BYTES)
        if not header.endswith(b"\n"):
            return 0  # the caller closed the channel (or broke the protocol)
        request = json.loads(header)
        size = int(request["payload_bytes"])
        payload = requests.read(size) if size else b""
        if len(payload) != size:
            return 0
        outcome = serve(request, payload)
        del payload
        reply = {
            "code": outcome.code,
            "timed_out": outcome.timed_out,
            "answer_bytes": len(outcome.answer),
            "stderr_bytes": len(outcome.stderr),
        }
        replies.write(json.dumps(reply).encode() + b"\n" + outcome.answer + outcome.stderr)
        replies.flush()


if __name__ == "__main__":  # pragma: no cover
    # run the imported module's copy, so that workers see its state (``inside_worker``)
    from cashapp.extractors import sandbox_worker

    raise SystemExit(sandbox_worker.zygote_main())
