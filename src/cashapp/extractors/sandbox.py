"""Reading an untrusted file (or running any parser) in a child process with limits.

RELIABILITY.md 3.1/3.4. This is the one sandbox of cashapp: statements, remittance
advices, emails and the PDF parser all go through it.

Before a byte is parsed, in the calling process: the size cap (``FileTooLargeError``,
decided from ``stat`` or the length) and the refusal of archives by their magic bytes.

The parse itself runs in a **worker**: a process forked, one per file, from a **zygote**
(``sandbox_worker``, which describes what a worker does before it reads a byte: ``/dev/null``
on stdin and stdout, its rlimits, death with its zygote). The zygote is
``python -s -B -m cashapp.extractors.sandbox_worker`` started by this module with a clean
environment (no proxies; the readers never touch the network anyway). It loads the readers
and pdfplumber once and forks a fresh worker per request, so every file starts from the same
clean, already-warm state: nothing one file does (caches, memory, a crash) reaches the next,
and the interpreter and the readers are loaded once per zygote instead of once per file:
10-40 ms of CPU per email instead of 0.45 s (``benchmarks/matching_cli.md``, last section).

This module is the **caller side**: the API other modules call (``read_in_sandbox``,
``run_sandboxed``, the size and archive checks), the pool of zygotes, the backstop timeouts
and the mapping of every outcome to an error. Inside a worker, a nested ``run_sandboxed``
(an email's PDF attachment) does not go through a zygote: ``sandbox_worker`` forks a
sub-worker directly, so a PDF that crashes or hangs costs that attachment only.

The calling process keeps up to ``IDLE_ZYGOTES`` idle zygotes (one per concurrent caller,
e.g. API threads; stopped at exit) and, as a backstop, kills a zygote (with its workers)
that does not answer within the wall clock plus ``GRACE_SECONDS`` (plus
``STARTUP_SECONDS`` for a new one); a zygote that died is replaced on the next file.
The answer is the inspect JSON of what was read (rebuilt with ``inspect_json.file_from_json``)
or the documented error with its file, line and element. A crash, a signal, the CPU or memory limit, the wall clock or garbage all become an
``InputError`` naming the file: never a hang, never another exception.

This module's top level imports only ``core``, ``domain`` and ``sandbox_worker``; the zygote
imports the readers.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
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
from cashapp.extractors import sandbox_worker
from cashapp.extractors.sandbox_worker import WorkerOutcome

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


def _sandboxed(request: dict[str, Any], payload: bytes) -> WorkerOutcome:
    """Serve ``request`` in a worker: forked right here when this process is itself a
    sandbox worker, else by a zygote."""
    if sandbox_worker.inside_worker:
        return sandbox_worker.serve(request, payload)
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
            return WorkerOutcome(code=0, timed_out=False, answer=b"", stderr=b"")
    except _ZygoteTimeout:
        zygote.stop()
        return WorkerOutcome(code=-signal.SIGKILL, timed_out=True, answer=b"", stderr=b"")
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
    """A warm process that forks one limited worker per request (``sandbox_worker``)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-s", "-B", "-m", "cashapp.extractors.sandbox_worker"],
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

    def exchange(self, request: dict[str, Any], payload: bytes, timeout: float) -> WorkerOutcome:
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
            return WorkerOutcome(code=code, timed_out=False, answer=b"", stderr=b"")
        self.fresh = False
        reply = json.loads(line)
        answer = self._read_exactly(int(reply["answer_bytes"]), deadline)
        stderr = self._read_exactly(int(reply["stderr_bytes"]), deadline)
        return WorkerOutcome(
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
