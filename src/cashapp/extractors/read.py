"""Reading one untrusted file into domain records: size cap, format detection, the reader.

The entry point for every file cashapp ingests or inspects.
"""

from __future__ import annotations

from cashapp.core.errors import FileTooLargeError
from cashapp.domain.remittances import RemittanceFile
from cashapp.domain.statements import StatementFile
from cashapp.extractors.registry import pick_reader

DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def read_bytes(
    data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> StatementFile | RemittanceFile:
    """Detect the format of ``data`` from its content and read it.

    Raises an ``InputError`` subclass naming ``source`` on anything it cannot read.
    """
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"file is {len(data)} bytes, over the {max_bytes} byte cap", file=source
        )
    _, reader = pick_reader(data, source=source)
    parsed: StatementFile | RemittanceFile = reader.extract(data, source=source)
    return parsed
