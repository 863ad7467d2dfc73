"""Seeding helpers for API tests: open items through the API, bank lines and suggestions
through the ledger's use cases (the statement readers are not needed for these tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cashapp.domain.proposals import AllocationKind, Evidence, Proposal, ProposedAllocation
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.reconciliation.ingest import sha256_of, store_statement_file
from cashapp.storage.records import to_json
from cashapp.storage.repositories.bank import list_lines_without_live_application
from cashapp.storage.tables import SuggestionRow
from cashapp.storage.transactions import write_transaction


def open_item(number: str, amount: str, customer: str = "C1", name: str = "Customer One", **extra: Any) -> dict[str, Any]:
    return {"invoice_number": number, "customer_id": customer, "customer_name": name,
            "issue_date": "2025-10-01", "due_date": "2025-10-31", "currency": "EUR", "amount": amount, **extra}


def store_lines(engine: Any, tenant: int, specs: list[tuple[str, str, str]], *, account: str = "FR7630006000011234567890189",
                booked: date = date(2025, 11, 5)) -> list[int]:
    """Lines ``(amount, payer, remittance text)`` in one statement; their ids in order."""
    refs, lines = [], []
    for index, (amount, payer, text) in enumerate(specs):
        ref = f"REF-{uuid.uuid4().hex[:8]}-{index}"
        refs.append(ref)
        lines.append(BankLine(bank_ref=ref, entry=index, amount=Decimal(amount), currency="EUR",
                              booking_date=booked - timedelta(days=index % 20), counterparty_name=payer,
                              remittance_text=text))
    parsed = StatementFile(format="test", statements=[Statement(id=f"STMT-{uuid.uuid4().hex[:6]}", account=account,
                                                                 currency="EUR", lines=lines)])
    with write_transaction(engine) as session:
        store_statement_file(session, tenant, parsed, sha256=sha256_of(uuid.uuid4().bytes), filename="seed.xml")
        by_ref = {r.bank_ref: r.id for r in list_lines_without_live_application(session, tenant, credits_only=False)}
    return [int(by_ref[r]) for r in refs]  # type: ignore[arg-type]


def invoice_proposal(customer: str, *parts: tuple[str, str], confidence: float = 0.8,
                     write_off: tuple[str, str, str] | None = None) -> Proposal:
    allocations = [ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal(a), invoice_number=n) for n, a in parts]
    if write_off:
        from cashapp.domain.reasons import ReasonCode

        allocations.append(ProposedAllocation(kind=AllocationKind.WRITE_OFF, amount=Decimal(write_off[1]),
                                              invoice_number=write_off[0], reason_code=ReasonCode(write_off[2])))
    return Proposal(allocations=tuple(allocations), confidence=confidence, customer_id=customer,
                    evidence=(Evidence(name="reference_found", detail=f"{parts[0][0]} in the remittance text", weight=2.0),
                              Evidence(name="amount_delta", detail="0.00", weight=1.0)),
                    model_version="test-model-1")


def suggest(engine: Any, tenant: int, line_id: int, *proposals: Proposal) -> None:
    with write_transaction(engine) as session:
        session.add(SuggestionRow(
            tenant_id=tenant, bank_line_id=line_id, decision="suggested" if proposals else "unmatched",
            confidence=proposals[0].confidence if proposals else None,
            model_version="test-model-1", proposals=to_json(list(proposals)),
            created_at=datetime.now(UTC),
        ))
