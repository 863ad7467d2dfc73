"""Reading an untrusted file in a child process with memory, CPU and wall-clock limits.

RELIABILITY.md 3.1: size cap first (``FileTooLargeError``, decided from ``stat`` or the
length, before a byte is parsed), archives refused by their magic bytes, then the parse
runs in ``python -m cashapp.extractors.sandbox``: the child sets ``RLIMIT_AS``,
``RLIMIT_CPU``, ``RLIMIT_FSIZE=0`` and ``RLIMIT_CORE=0`` on itself before importing any
reader, reads one request line and the file on stdin, and writes one JSON object to
stdout: the inspect JSON of what it read, or the documented error with its file, line and
element. The parent rebuilds the domain records (``inspect_json.file_from_json``) or the error. A crash, a signal, the CPU
or memory limit, a wall-clock timeout or garbage on stdout all become an ``InputError``
naming the file: never a hang, never another exception.

The child is started from this small module (its top level imports only ``core`` and
``domain``; the readers are imported after the limits are set), with a clean environment
(no proxies; the readers never touch the network anyway).
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import signal
import subprocess
import sys
import threading
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


# An XLSX workbook is a zip whose central directory (at the end) names these members.
OOXML_WORKBOOK_MEMBERS = (b"[Content_Types].xml", b"xl/workbook.xml")
TAIL_BYTES = 64 * 1024


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


def read_in_sandbox(
    path_or_bytes: Path | str | bytes,
    *,
    source: str,
    settings: Settings,
    reader: str | None = None,
) -> StatementFile | RemittanceFile:
    """Read an untrusted file in a limited child process (see the module docstring).

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
        payload = None
    limits = (settings.sandbox_memory_bytes, settings.sandbox_cpu_seconds, settings.max_file_bytes)
    request = {"source": source, "path": str(path) if path else None, "reader": reader}
    child = _take_child(limits)
    message = json.dumps(request).encode() + b"\n" + (payload or b"")
    try:
        stdout, _ = child.communicate(message, timeout=settings.sandbox_wall_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise InputError(
            f"reading took longer than {settings.sandbox_wall_seconds} s and was stopped",
            file=source,
        ) from None
    return _answer(stdout, child.returncode, source=source)


# From the second file on, a child is started ahead of need (a "spare") so that the next file
# does not wait for the interpreter and the readers to load (benchmarks/camt.md).
_spare_lock = threading.Lock()
_spare: tuple[tuple[int, int, int], subprocess.Popen[bytes]] | None = None
_calls = 0


def _start_child(limits: tuple[int, int, int]) -> subprocess.Popen[bytes]:
    memory, cpu, max_bytes = limits
    command = [
        sys.executable,
        "-s",
        "-B",
        "-m",
        "cashapp.extractors.sandbox",
        json.dumps({"memory": memory, "cpu": cpu, "max_bytes": max_bytes}),
    ]
    return subprocess.Popen(  # our own interpreter and module
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_child_environment(),
    )


def _take_child(limits: tuple[int, int, int]) -> subprocess.Popen[bytes]:
    """The spare child if it has these limits and is alive, else a new one; then a new spare."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    child = None
    if spare is not None:
        if spare[0] == limits and spare[1].poll() is None:
            child = spare[1]
        else:
            _stop(spare[1])
    if child is None:
        child = _start_child(limits)
    global _calls
    with _spare_lock:
        _calls += 1
        if _spare is None and _calls > 1:  # a single file (one inspect) needs no spare
            _spare = (limits, _start_child(limits))
    return child


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


@atexit.register
def _stop_spare() -> None:
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        _stop(spare[1])


def _child_environment() -> dict[str, str]:
    """A clean environment: the child sees the same code as this process, nothing else."""
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root, *(p for p in sys.path if p and p != package_root)]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
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


# --- the child -----------------------------------------------------------------------------


def _limit(memory: int, cpu: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _warm() -> None:
    """Load what reading needs before the request comes (the child may wait as a spare)."""
    try:
        from cashapp.extractors import inspect_json, read
        from cashapp.extractors.registry import statement_readers

        del inspect_json, read

        statement_readers()
    except Exception:  # noqa: S110 - a broken reader fails again, reported, when used
        pass


def _child(request: dict[str, Any], max_bytes: int, memory: int) -> dict[str, Any]:
    source = str(request["source"])
    try:
        from cashapp.extractors.inspect_json import remittance_file_json, statement_file_json
        from cashapp.extractors.read import read_bytes

        if request.get("path"):
            with Path(request["path"]).open("rb") as handle:  # bounded: it may have grown
                data = handle.read(max_bytes + 1)
        else:
            data = sys.stdin.buffer.read(max_bytes + 1)
        if request.get("reader"):
            parsed = _forced_reader(str(request["reader"]))(data, source=source)
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


def _forced_reader(spec: str) -> Any:
    import importlib

    module_name, _, function = spec.partition(":")
    return getattr(importlib.import_module(module_name), function or "extract")


def main(argv: list[str]) -> int:
    limits = json.loads(argv[1])
    _limit(int(limits["memory"]), int(limits["cpu"]))
    _warm()
    header = sys.stdin.buffer.readline(1024 * 1024)
    if not header:
        return 0  # a spare that was never used
    answer = _child(json.loads(header), int(limits["max_bytes"]), int(limits["memory"]))
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
