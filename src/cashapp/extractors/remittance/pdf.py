"""Standalone PDF remittance advices (and PDF attachments of emails).

The PDF is parsed by ``pdf_pages.pdf_rows`` in the sandbox (``extractors.sandbox.run_sandboxed``:
a worker with memory, CPU and wall-clock limits, forked from the warm zygote, or directly
from the email's own worker for an attachment; first ``MAX_PAGES`` pages), so a malicious PDF
(circular XObjects, a page with a huge operator count) fails with ``RemittanceParseError``
naming the page reached, never a hang or a crash. The rows it returns are read by
``advice_rows`` like any table: header row, ``Label: value`` facts, lines, total row.
Text in a PDF is a hint: amounts that do not parse skip the row (recorded as a defect).
"""

from __future__ import annotations

from typing import Any

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.remittances import RemittanceFile
from cashapp.extractors.remittance.advice_rows import (
    AdviceFacts,
    NoAdviceFound,
    rows_to_remittance,
)
from cashapp.extractors.remittance.pdf_pages import MAX_PAGES
from cashapp.extractors.remittance.positioned_rows import align
from cashapp.extractors.remittance.totals import checked
from cashapp.extractors.sandbox import SandboxLimits, run_sandboxed

name = "pdf"

LIMITS = SandboxLimits()


def identify(head: bytes) -> bool:
    return head[:1024].lstrip().startswith(b"%PDF-")


def extract(
    data: bytes,
    *,
    source: str,
    defaults: AdviceFacts | None = None,
    where: str | None = None,
    limits: SandboxLimits | None = None,
) -> RemittanceFile:
    """The advice in a PDF: one remittance for the document."""
    if not identify(data[:1024]):
        raise RemittanceParseError("not a PDF (no %PDF- header)", file=source)
    result: dict[str, Any] = run_sandboxed(
        "cashapp.extractors.remittance.pdf_pages:pdf_rows", data, limits or LIMITS, source=source
    )
    pages = result.get("pages", [])
    positioned = [
        [(float(start), float(end), str(text)) for start, end, text in row]
        for page in pages
        for row in page.get("rows", [])
    ]
    rows = align(positioned, tolerance=2.0)
    remittance = rows_to_remittance(
        rows, format="pdf", source=source, where=where or "pdf", defaults=defaults
    )
    if remittance is None:
        table_rows = [row for page in pages for table in page.get("tables", []) for row in table]
        remittance = rows_to_remittance(
            table_rows, format="pdf", source=source, where=where or "pdf", defaults=defaults
        )
    if remittance is None:
        raise NoAdviceFound(
            "no remittance table found", file=source, element=f"pages 1-{len(pages)}"
        )
    extra: tuple[str, ...] = ()
    if int(result.get("page_count", 0)) > MAX_PAGES:
        extra = (f"only the first {MAX_PAGES} of {result['page_count']} pages were read",)
    return RemittanceFile(format="pdf", remittances=[checked(remittance, extra_defects=extra)])
