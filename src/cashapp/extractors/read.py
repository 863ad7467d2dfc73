"""Reading one file into domain records: size cap, archive refusal, format detection, reader.

``read_bytes`` reads in this process (trusted or already-sandboxed input);
``read_untrusted`` reads in a limited child process (``sandbox``) and is what the CLI and
the API use for anything a user or a bank sent.
"""

from __future__ import annotations

from pathlib import Path

from cashapp.core.settings import Settings, load_settings
from cashapp.domain.remittances import RemittanceFile
from cashapp.domain.statements import StatementFile
from cashapp.extractors.registry import pick_reader
from cashapp.extractors.sandbox import TAIL_BYTES, check_size, read_in_sandbox, refuse_archive

DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def read_bytes(
    data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> StatementFile | RemittanceFile:
    """Detect the format of ``data`` from its content and read it, in this process.

    Raises an ``InputError`` subclass naming ``source`` on anything it cannot read.
    """
    check_size(len(data), source=source, max_bytes=max_bytes)
    refuse_archive(data[:512], source=source, tail=data[-TAIL_BYTES:])
    _, reader = pick_reader(data, source=source)
    parsed: StatementFile | RemittanceFile = reader.extract(data, source=source)
    return parsed


def read_untrusted(
    path_or_bytes: Path | str | bytes, *, source: str, settings: Settings | None = None
) -> StatementFile | RemittanceFile:
    """Read a file in a sandboxed child process (memory, CPU and wall-clock limits).

    Raises an ``InputError`` subclass naming ``source``: the reader's own error, or one
    saying the file was too large, an archive, or stopped the reader (crash, limit, time).
    """
    return read_in_sandbox(path_or_bytes, source=source, settings=settings or load_settings())
