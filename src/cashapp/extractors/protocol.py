"""The tiny protocol every format module follows (beangulp's ``identify()`` / ``extract()``).

``identify`` looks at the first bytes of a file and says whether this reader takes it;
``extract`` reads the whole content into domain records or raises the documented
``InputError`` subclass naming the file and the line or element.
"""

from __future__ import annotations

from typing import Protocol

from cashapp.domain.remittances import RemittanceFile
from cashapp.domain.statements import StatementFile

# How many leading bytes ``identify`` is shown.
SNIFF_BYTES = 64 * 1024


class StatementReader(Protocol):
    """A bank-statement format."""

    name: str

    def identify(self, head: bytes) -> bool: ...

    def extract(self, data: bytes, *, source: str) -> StatementFile: ...


class RemittanceReader(Protocol):
    """A remittance-advice format."""

    name: str

    def identify(self, head: bytes) -> bool: ...

    def extract(self, data: bytes, *, source: str) -> RemittanceFile: ...
