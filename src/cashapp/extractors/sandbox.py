"""Reading an untrusted file (or running any parser) in a child process with limits.

RELIABILITY.md 3.1/3.4. This is the one sandbox of cashapp: statements, remittance
advices, emails and the PDF parser all go through it.

Before a byte is parsed, in the calling process: the size cap (``FileTooLargeError``,
decided from ``stat`` or the length) and the refusal of archives by their magic bytes.

The parse itself runs in a **worker**: a process forked, one per file, from a **zygote**.
The zygote is ``python -s -B -m cashapp.extractors.sandbox`` started by the calling process
with a clean environment (no proxies; the readers never touch the network anyway). It
imports the readers and pdfplumber once, then serves requests on its stdin/stdout: one JSON
header line (what to read or call, the limits) and the bytes. For each request it forks a
worker, which first of all

- puts ``/dev/null`` on its stdin and stdout (it cannot write into the zygote's channel),
  a pipe on its stderr (progress lines such as ``progress: page 3`` name where a failure
  happened), asks to be killed if the zygote dies (``PR_SET_PDEATHSIG``);
- sets ``RLIMIT_AS`` (memory), ``RLIMIT_CPU`` (its CPU clock starts at zero: fork resets
  it), ``RLIMIT_FSIZE=0`` (no file written) and ``RLIMIT_CORE=0`` on itself,

and only then reads the file (from the bytes it inherited, or the path, bounded by the size
cap), parses it and writes one JSON answer on a pipe. The zygote enforces the wall clock
(SIGKILL at the deadline) and sends back the answer, the exit status and the stderr tail.
Every file starts from the same clean, already-warm state: nothing one file does (caches,
memory, a crash) reaches the next, and the interpreter and the readers are loaded once per
zygote instead of once per file (``gc.freeze`` after loading, so that a worker's garbage
collector does not copy the shared pages): 10-40 ms of CPU per email instead of 0.45 s
(``benchmarks/matching_cli.md``, last section). The zygote itself never parses a byte of
a file; the memory limit counts what it loaded, as it counted the readers before.

A worker that itself needs a sandboxed parse (an email's PDF attachment, through
``run_sandboxed``) does not start a new interpreter: it forks a sub-worker directly, with
the parser's own limits (never above its own: hard limits only go down) and wall clock, so
a PDF that crashes or hangs costs that attachment only, named by its page.

The calling process keeps up to ``IDLE_ZYGOTES`` idle zygotes (one per concurrent caller,
e.g. API threads; stopped at exit) and, as a backstop, kills a zygote (with its workers)
that does not answer within the wall clock plus ``GRACE_SECONDS`` (plus
``STARTUP_SECONDS`` for a new one); a zygote that died is replaced on the next file. The answer is the inspect JSON of what was read (rebuilt with
``inspect_json.file_from_json``) or the documented error with its file, line and element.
A crash, a signal, the CPU or memory limit, the wall clock or garbage all become an
``InputError`` naming the file: never a hang, never another exception.

This module's top level imports only ``core`` and ``domain``; the zygote imports the readers.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cashapp.core.errors import (
    CsvRowError,
    FileTooLargeError,
    InputError,
    RemittanceParseError,
    StatementParseError,
    UnknownFormatError,
)
from cashapp.core.settings import Settings
from cashapp.domain.remittances import RemittanceFile
from cashapp.domain.statements import StatementFile

# magic bytes of the archive and compression formats we refuse (RELIABILITY.md 3.3)
ARCHIVES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"PK\x07\x08", "zip"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "rar"),
    (257, b"ustar", "tar"),
)
_ERRORS: dict[str, type[InputError]] = {
    cls.__name__: cls
    for cls in (
        InputError,
        StatementParseError,
        RemittanceParseError,
        UnknownFormatError,
        FileTooLargeError,
        CsvRowError,
    )
}
_SIGNALS: dict[int, str] = {
    signal.SIGXCPU: "it used more than its CPU time limit",
    signal.SIGKILL: "it was killed (memory or time limit)",
    signal.SIGSEGV: "the reader crashed",
    signal.SIGABRT: "the reader aborted",
    signal.SIGBUS: "the reader crashed",
}
IDLE_ZYGOTES = 2
GRACE_SECONDS = 10.0  # the caller's backstop: an answer is due by the wall clock plus this
STARTUP_SECONDS = 60.0  # and, for a new zygote, plus this (loading the interpreter and readers)
STDERR_TAIL_BYTES = 64 * 1024
_HEADER_BYTES = 1024 * 1024

# An XLSX workbook is a zip whose central directory (at the end) names these members.
OOXML_WORKBOOK_MEMBERS = (b"[Content_Types].xml", b"xl/workbook.xml")
TAIL_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Limits of one sandboxed parser call (``run_sandboxed``)."""

    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 20
    wall_seconds: float = 30.0


def is_workbook(tail: bytes) -> bool:
    """Whether a zip's last bytes (its central directory) name an Office workbook's parts.

    Only a gate: the spreadsheet reader then opens it in the sandbox with its own caps.
    """
    return all(member in tail for member in OOXML_WORKBOOK_MEMBERS)


def refuse_archive(head: bytes, *, source: str, tail: bytes = b"") -> None:
    """Archives are not statements: ask for the files inside instead of opening them.

    An XLSX remittance advice is a zip too; it passes when its directory (``tail``)
    names the parts of a workbook.
    """
    for offset, magic, kind in ARCHIVES:
        if head[offset : offset + len(magic)] == magic:
            if kind == "zip" and is_workbook(tail):
                return
            raise UnknownFormatError(
                f"a {kind} archive: archives are not read, give the statement files inside",
                file=source,
            )


def check_size(size: int, *, source: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLargeError(f"file is {size} bytes, over the {max_bytes} byte cap", file=source)


# --- the calling process ---------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    """What a worker left: its exit code (negative: the signal), whether the wall clock
    stopped it, its answer bytes and the tail of its stderr."""

    code: int
    timed_out: bool
    answer: bytes
    stderr: bytes


def read_in_sandbox(
    path_or_bytes: Path | str | bytes,
    *,
    source: str,
    settings: Settings,
    reader: str | None = None,
) -> StatementFile | RemittanceFile:
    """Read an untrusted file in a limited worker process (see the module docstring).

    ``reader`` (``"module"`` or ``"module:function"``) forces the reader instead of
    detecting the format; the function is called as ``extract(data, source=...)``.
    """
    if isinstance(path_or_bytes, bytes):
        check_size(len(path_or_bytes), source=source, max_bytes=settings.max_file_bytes)
        refuse_archive(path_or_bytes[:512], source=source, tail=path_or_bytes[-TAIL_BYTES:])
        payload, path = path_or_bytes, None
    else:
        path = Path(path_or_bytes)
        try:
            check_size(path.stat().st_size, source=source, max_bytes=settings.max_file_bytes)
            with path.open("rb") as handle:
                head = handle.read(512)
                handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
                refuse_archive(head, source=source, tail=handle.read(TAIL_BYTES))
        except OSError as exc:
            raise InputError(f"cannot read the file: {exc.strerror}", file=source) from None
        payload = b""
    request = {
        "kind": "read",
        "source": source,
        "path": str(path) if path else None,
        "reader": reader,
        "memory": settings.sandbox_memory_bytes,
        "cpu": settings.sandbox_cpu_seconds,
        "wall": settings.sandbox_wall_seconds,
        "max_bytes": settings.max_file_bytes,
    }
    outcome = _sandboxed(request, payload)
    if outcome.timed_out:
        raise InputError(
            f"reading took longer than {settings.sandbox_wall_seconds} s and was stopped",
            file=source,
        )
    return _answer(outcome.answer, outcome.code, source=source)


def run_sandboxed(target: str, data: bytes, limits: SandboxLimits, *, source: str) -> Any:
    """``target``'s (``"pkg.module:function"``, called as ``function(data)``) JSON result,
    computed in a limited worker; or ``RemittanceParseError`` naming where it failed."""
    request = {
        "kind": "call",
        "target": target,
        "memory": limits.memory_bytes,
        "cpu": limits.cpu_seconds,
        "wall": limits.wall_seconds,
    }
    outcome = _sandboxed(request, data)
    where = _last_progress(outcome.stderr)
    if outcome.timed_out:
        raise RemittanceParseError(
            f"parser timed out after {limits.wall_seconds:g} s", file=source, element=where
        )
    try:
        message = json.loads(outcome.answer) if outcome.answer else None
    except ValueError:
        message = None
    if isinstance(message, dict) and message.get("ok") is True:
        return message.get("result")
    if outcome.code < 0:
        reason = f"killed by signal {-outcome.code} (CPU or memory limit)"
    elif isinstance(message, dict):
        reason = str(message.get("message") or "")
    elif outcome.code == 0 and outcome.answer:
        raise RemittanceParseError("parser returned no result", file=source, element=where)
    else:
        reason = ""
    raise RemittanceParseError(
        f"parser failed: {reason[:200] or 'no output'}", file=source, element=where
    )


def _last_progress(stderr: bytes) -> str | None:
    for line in reversed(stderr.decode("utf-8", "replace").splitlines()):
        if line.startswith("progress: "):
            return line.removeprefix("progress: ").strip()
    return None


def _sandboxed(request: dict[str, Any], payload: bytes) -> _Outcome:
    """Serve ``request`` in a worker: forked right here when this process is itself a
    sandbox worker, else by a zygote."""
    if _inside_worker:
        return _serve(request, payload)
    zygote = _take_zygote()
    try:
        outcome = zygote.exchange(request, payload, float(request["wall"]) + GRACE_SECONDS)
    except _ZygoteLost:
        zygote.stop()
        zygote = _Zygote()  # died while idle (killed from outside): one retry on a new one
        try:
            outcome = zygote.exchange(request, payload, float(request["wall"]) + GRACE_SECONDS)
        except _ZygoteLost:
            zygote.stop()
            return _Outcome(code=0, timed_out=False, answer=b"", stderr=b"")
    except _ZygoteTimeout:
        zygote.stop()
        return _Outcome(code=-signal.SIGKILL, timed_out=True, answer=b"", stderr=b"")
    except BaseException:
        zygote.stop()  # never hand back a zygote in the middle of an exchange
        raise
    _give_zygote(zygote)
    return outcome


class _ZygoteLost(Exception):
    """The zygote's pipes closed before the request was sent in full."""


class _ZygoteTimeout(Exception):
    """The zygote did not answer in time (it is stopped)."""


class _Zygote:
    """A warm process that forks one limited worker per request (see the module docstring)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-s", "-B", "-m", "cashapp.extractors.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_child_environment(),
            start_new_session=True,  # the zygote and its workers are stopped together
        )
        self.buffer = bytearray()
        self.fresh = True

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def exchange(self, request: dict[str, Any], payload: bytes, timeout: float) -> _Outcome:
        assert self.process.stdin is not None and self.process.stdout is not None
        header = dict(request, payload_bytes=len(payload))
        try:
            self.process.stdin.write(json.dumps(header).encode() + b"\n")
            self.process.stdin.write(payload)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise _ZygoteLost from None
        if self.fresh:  # its first answer waits for the interpreter and the readers too
            timeout += STARTUP_SECONDS
        deadline = time.monotonic() + timeout
        line = self._read_line(deadline)
        if not line:  # the zygote itself died (killed from outside): say how
            try:
                code = self.process.wait(timeout=GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                code = -signal.SIGKILL
            return _Outcome(code=code, timed_out=False, answer=b"", stderr=b"")
        self.fresh = False
        reply = json.loads(line)
        answer = self._read_exactly(int(reply["answer_bytes"]), deadline)
        stderr = self._read_exactly(int(reply["stderr_bytes"]), deadline)
        return _Outcome(
            code=int(reply["code"]), timed_out=bool(reply["timed_out"]), answer=answer,
            stderr=stderr,
        )

    def _fill(self, deadline: float) -> bool:
        """Read what the zygote sent so far into the buffer; False at end of file."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise _ZygoteTimeout
        chunk = os.read(fd, 1024 * 1024)
        self.buffer += chunk
        return bool(chunk)

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self.buffer:
            if not self._fill(deadline):
                return b""
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        return line

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            if not self._fill(deadline):
                break
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def stop(self) -> None:
        if self.owner != os.getpid():
            return  # a copy inherited through fork: the zygote belongs to the parent
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


_zygote_lock = threading.Lock()
_idle_zygotes: list[_Zygote] = []
_inside_worker = False  # set in a worker: nested sandboxed calls fork from it directly
_answer_fd: int | None = None  # in a worker: where its answer goes


def _take_zygote() -> _Zygote:
    """An idle zygote of this process if one is alive, else a new one."""
    while True:
        with _zygote_lock:
            zygote = _idle_zygotes.pop() if _idle_zygotes else None
        if zygote is None:
            return _Zygote()
        if zygote.alive():
            return zygote
        zygote.stop()


def _give_zygote(zygote: _Zygote) -> None:
    with _zygote_lock:
        if zygote.alive() and len(_idle_zygotes) < IDLE_ZYGOTES:
            _idle_zygotes.append(zygote)
            return
    zygote.stop()


@atexit.register
def stop_zygotes() -> None:
    """Stop the idle zygotes (at exit; the next read starts a new one)."""
    with _zygote_lock:
        zygotes = list(_idle_zygotes)
        _idle_zygotes.clear()
    for zygote in zygotes:
        zygote.stop()


def _child_environment() -> dict[str, str]:
    """A clean environment: the zygote sees the same code as this process, nothing else."""
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root, *(p for p in sys.path if p and p != package_root)]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(paths),
        "PYTHONHASHSEED": "0",
    }


def _answer(stdout: bytes, code: int, *, source: str) -> StatementFile | RemittanceFile:
    from cashapp.extractors.inspect_json import file_from_json

    try:
        message = json.loads(stdout) if stdout else None
    except ValueError:
        message = None
    if isinstance(message, dict) and message.get("ok") is True:
        try:
            return file_from_json(message["result"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"the reader sent back an unreadable result ({exc})", file=source
            ) from None
    if isinstance(message, dict) and isinstance(message.get("error"), dict):
        error = message["error"]
        cls = _ERRORS.get(str(error.get("class")), InputError)
        raise cls(
            str(error.get("message") or "unreadable file"),
            file=source,
            line=error.get("line") if isinstance(error.get("line"), int) else None,
            element=error.get("element") if isinstance(error.get("element"), str) else None,
            column=error.get("column") if isinstance(error.get("column"), str) else None,
        )
    if code < 0:
        reason = _SIGNALS.get(-code, f"the reader was stopped by signal {-code}")
    else:
        reason = f"the reader stopped with status {code} and no answer"
    raise InputError(f"cannot read the file: {reason}", file=source)


# --- the zygote and its workers --------------------------------------------------------------


def _serve(request: dict[str, Any], payload: bytes) -> _Outcome:
    """Fork a worker for ``request``, wait for it (at most its wall clock), collect it."""
    memory, cpu, wall = int(request["memory"]), int(request["cpu"]), float(request["wall"])
    if request.get("kind") == "call":
        job: Callable[[], bytes] = lambda: _call(str(request["target"]), payload)  # noqa: E731
    else:
        job = lambda: _read(request, payload)  # noqa: E731
    return _fork_worker(job, memory=memory, cpu=cpu, wall=wall)


def _fork_worker(job: Callable[[], bytes], *, memory: int, cpu: int, wall: float) -> _Outcome:
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
            global _inside_worker
            _inside_worker = True
            _idle_zygotes.clear()  # the parent's, if any: never used from here
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
    return _Outcome(
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
        outcome = _serve(request, payload)
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
    # run the imported module's copy, so that workers see its state (``_inside_worker``)
    from cashapp.extractors import sandbox

    raise SystemExit(sandbox.zygote_main())
