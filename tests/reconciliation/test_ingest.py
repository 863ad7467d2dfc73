"""Storing statement files: the same bytes once (R4), the same transaction once across files
(R5: intraday camt.052 then end-of-day camt.053), identical payments kept apart by bank_ref."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text

from cashapp.domain.remittances import Remittance, RemittanceFile, RemittanceLine
from cashapp.domain.statements import (
    BankLine,
    LineStatus,
    ReferredDocument,
    Statement,
    StatementFile,
)
from cashapp.reconciliation.ingest import store_remittance_file, store_statement_file
from cashapp.storage.repositories.bank import (
    bank_line_from_row,
    list_lines_without_live_application,
)
from cashapp.storage.repositories.remittances import list_remittances
from cashapp.storage.transactions import read_session, write_transaction


def bank_line(
    ref: str, amount: str = "50.00", *, status: LineStatus = LineStatus.BOOKED, entry: int = 0
) -> BankLine:
    return BankLine(
        bank_ref=ref,
        entry=entry,
        amount=Decimal(amount),
        currency="EUR",
        booking_date=date(2025, 11, 5),
        status=status,
        remittance_text="INV-1",
    )


def statement_file(fmt: str, *lines: BankLine, account: str = "BE68539007547034") -> StatementFile:
    return StatementFile(
        format=fmt,
        statements=[
            Statement(
                id=f"{fmt}-1",
                account=account,
                currency="EUR",
                lines=list(lines),
                opening_balance=Decimal("0.00"),
                closing_balance=sum(
                    (x.amount for x in lines if x.status is LineStatus.BOOKED), Decimal("0.00")
                ),
            )
        ],
    )


def store(engine, tenant, parsed: StatementFile, sha: str):
    with write_transaction(engine) as session:
        return store_statement_file(session, tenant, parsed, sha256=sha * 64, filename=f"{sha}.xml")


def lines(engine, tenant) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT bank_ref, status, amount_minor FROM bank_line WHERE tenant_id = :t"
                    " ORDER BY bank_ref"
                ),
                {"t": tenant},
            )
        ]


def test_same_file_twice_is_a_no_op(engine, tenant) -> None:
    parsed = statement_file("camt.053.001.02", bank_line("A"), bank_line("B", entry=1))
    first = store(engine, tenant, parsed, "1")
    assert (first.created, first.lines_new, first.lines_known) == (True, 2, 0)
    again = store(engine, tenant, parsed, "1")
    assert (again.created, again.file_id, again.lines_new) == (False, first.file_id, 0)
    assert len(lines(engine, tenant)) == 2


def test_overlapping_intraday_then_end_of_day(engine, tenant) -> None:
    intraday = statement_file(
        "camt.052.001.02", bank_line("A", status=LineStatus.PENDING), bank_line("B"), bank_line("C")
    )
    assert store(engine, tenant, intraday, "2").lines_new == 3
    end_of_day = statement_file(
        "camt.053.001.02",
        bank_line("A"),
        bank_line("B"),
        bank_line("C"),
        bank_line("D"),
        bank_line("E"),
    )
    stored = store(engine, tenant, end_of_day, "3")
    # D and E are new; A is promoted from pending to booked; B and C were already there.
    assert (stored.lines_new, stored.lines_known) == (3, 2)
    assert [(ref, status) for ref, status, _ in lines(engine, tenant)] == [
        ("A", "booked"),
        ("B", "booked"),
        ("C", "booked"),
        ("D", "booked"),
        ("E", "booked"),
    ]


def test_identical_payments_in_one_statement_stay_two_lines(engine, tenant) -> None:
    twins = statement_file("mt940", bank_line("STMT1-L0"), bank_line("STMT1-L1", entry=1))
    store(engine, tenant, twins, "4")
    store(engine, tenant, twins, "5")  # the same statement in a re-exported file
    assert [amount for _, _, amount in lines(engine, tenant)] == [5000, 5000]
    other_account = statement_file("mt940", bank_line("STMT1-L0"), account="DE89370400440532013000")
    store(engine, tenant, other_account, "6")  # bank_ref is unique per account only
    assert len(lines(engine, tenant)) == 3


def test_lines_read_back_whole(engine, tenant) -> None:
    rich = BankLine(
        bank_ref="R1",
        entry=3,
        amount=Decimal("1.234"),
        currency="BHD",
        booking_date=date(2025, 11, 5),
        value_date=date(2025, 11, 6),
        counterparty_name="Gulf Co",
        counterparty_account="BH67BMAG00001299123456",
        end_to_end_id="E2E-1",
        remittance_text="INV 1 / INV 2",
        structured_references=("RF18539007547034",),
        referred_documents=(
            ReferredDocument(
                number="INV 1", due_amount=Decimal("1.000"), remitted_amount=Decimal("0.900")
            ),
        ),
        instructed_amount=Decimal("3.33"),
        instructed_currency="USD",
        entry_amount=Decimal("2.468"),
        extra={"BkTxCd": "PMNT-RCDT-ESCT"},
    )
    parsed = StatementFile(
        format="camt.053.001.08",
        statements=[
            Statement(id="S", account="BH67BMAG00001299123456", currency="BHD", lines=[rich])
        ],
    )
    store(engine, tenant, parsed, "7")
    with read_session(engine) as session:
        (row,) = list_lines_without_live_application(session, tenant)
        assert bank_line_from_row(row) == rich


def test_remittance_advices_are_kept(engine, tenant) -> None:
    advice = Remittance(
        format="remt.001",
        payer="Acme",
        payment_id="PAY-1",
        currency="EUR",
        total=Decimal("950.00"),
        date=date(2025, 11, 4),
        lines=[
            RemittanceLine(
                reference="INV-1",
                gross=Decimal("1000.00"),
                deduction=Decimal("50.00"),
                paid=Decimal("950.00"),
            )
        ],
    )
    with write_transaction(engine) as session:
        stored = store_remittance_file(
            session,
            tenant,
            RemittanceFile(format="remt.001", remittances=[advice]),
            sha256="8" * 64,
            filename="a.xml",
        )
    assert stored.remittances == 1
    with read_session(engine) as session:
        (back,) = list_remittances(session, tenant)
    assert back.total == Decimal("950.00") and back.lines[0].deduction == Decimal("50.00")
