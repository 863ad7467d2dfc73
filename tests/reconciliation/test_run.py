"""The lettrage run on stored lines with the real (rules) matcher and text extractor:
certain payments applied, the rest kept for review, the ledger sound afterwards."""

from __future__ import annotations

from decimal import Decimal

from cashapp.domain.proposals import DecisionKind
from cashapp.matcher import load_matcher
from cashapp.matcher.api import MatchPolicy
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.export import export_lettrage
from cashapp.reconciliation.run import prepare_run, record_result
from cashapp.storage.transactions import read_session, run_in_transaction

NAME = "Müller Maschinenbau GmbH"


def test_run_applies_the_certain_and_queues_the_rest(engine, tenant, ledger) -> None:
    for number in ("INV-1001", "INV-1002", "INV-1003"):
        ledger.invoice(number, "1000.00", customer_name=NAME)
    ledger.invoice("INV-1004", "500.00", customer="C2", customer_name="Acme Trading Ltd")
    ids = ledger.lines(
        ("1000.00", "INV-1001"),
        ("1200.00", "INV-1003"),
        ("950.00", "INV-1002 minus 50.00 promotion allowance"),
        ("77.00", "merci"),
        payer="MUELLER MASCHINENBAU GMBH",
    )
    policy = MatchPolicy()
    matcher = load_matcher()
    with read_session(engine) as session:
        work = prepare_run(session, tenant)
    assert [task.key for task in work.tasks] == [str(i) for i in ids]
    assert work.tasks[0].references[0].normalized == "INV-1001"
    results = matcher.match(work.tasks, work.ledger, policy)
    outcomes = [
        run_in_transaction(
            engine, lambda s, r=r: record_result(s, tenant, r, matcher=matcher, policy=policy)
        )
        for r in results
    ]
    assert outcomes[:3] == [DecisionKind.AUTO] * 3
    assert outcomes[3] in (DecisionKind.SUGGESTED, DecisionKind.UNMATCHED)
    with read_session(engine) as session:
        rows = list(export_lettrage(session, tenant))
        assert audit_ledger(session, tenant) == []
        assert prepare_run(session, tenant).tasks[0].key == str(ids[3])  # applied lines are done
    applied = [
        (r.invoice_number, r.applied_amount, r.kind, r.reason_code, r.decision) for r in rows[:5]
    ]
    assert applied == [
        ("INV-1001", "1000.00", "invoice", "", "auto"),
        ("INV-1003", "1000.00", "invoice", "", "auto"),
        ("", "200.00", "on_account", "", "auto"),
        ("INV-1002", "950.00", "invoice", "", "auto"),
        ("INV-1002", "50.00", "deduction", "promotion", "auto"),
    ]
    assert rows[0].model_version == matcher.version and rows[0].lettrage_code == "AAA"
    assert ledger.open_minor("INV-1001") == 0 and ledger.open_minor("INV-1002") == 0
    assert sum(Decimal(r.applied_amount) for r in rows[1:3]) == Decimal("1200.00")


def test_run_uses_a_linked_remittance_advice(engine, tenant, ledger) -> None:
    from datetime import date

    from cashapp.domain.remittances import Remittance, RemittanceFile, RemittanceLine
    from cashapp.domain.statements import BankLine, Statement, StatementFile
    from cashapp.reconciliation.ingest import store_remittance_file, store_statement_file
    from cashapp.reconciliation.run import run_lettrage
    from cashapp.storage.transactions import write_transaction

    ledger.invoice("INV-2001", "1000.00", customer="C2", customer_name="Acme Trading Ltd")
    ledger.invoice("INV-2002", "400.00", customer="C2", customer_name="Acme Trading Ltd")
    advice = Remittance(
        format="remt.001",
        payer="Acme Trading Ltd",
        payment_id="E2E-77",
        currency="EUR",
        total=Decimal("1350.00"),
        date=date(2025, 11, 4),
        lines=[
            RemittanceLine(
                reference="INV-2001",
                gross=Decimal("1000.00"),
                deduction=Decimal("50.00"),
                reason_text="damaged goods",
                paid=Decimal("950.00"),
            ),
            RemittanceLine(reference="INV-2002", gross=Decimal("400.00"), paid=Decimal("400.00")),
        ],
    )
    payment = BankLine(
        bank_ref="B-77",
        entry=0,
        amount=Decimal("1350.00"),
        currency="EUR",
        booking_date=date(2025, 11, 5),
        counterparty_name="ACME TRADING LTD",
        end_to_end_id="E2E-77",
        remittance_text="payment advice sent by mail",
    )
    with write_transaction(engine) as session:
        store_remittance_file(
            session,
            tenant,
            RemittanceFile(format="remt.001", remittances=[advice]),
            sha256="c" * 64,
            filename="advice.xml",
        )
        store_statement_file(
            session,
            tenant,
            StatementFile(
                format="test",
                statements=[Statement(id="S", account="DE00", currency="EUR", lines=[payment])],
            ),
            sha256="d" * 64,
            filename="st.xml",
        )
    with read_session(engine) as session:
        (task,) = prepare_run(session, tenant).tasks
    assert [r.payment_id for r in task.remittances] == ["E2E-77"]
    summary = run_lettrage(engine, tenant, matcher=load_matcher(), policy=MatchPolicy())
    assert (summary.lines_read, summary.applied + summary.suggested) == (1, 1)
    with read_session(engine) as session:
        rows = list(export_lettrage(session, tenant))
        assert audit_ledger(session, tenant) == []
    assert sorted((r.invoice_number, r.applied_amount, r.kind) for r in rows) == [
        ("INV-2001", "50.00", "deduction"),
        ("INV-2001", "950.00", "invoice"),
        ("INV-2002", "400.00", "invoice"),
    ]


def test_a_refused_line_goes_to_review_without_undoing_its_chunk(
    engine, tenant, ledger, make_proposal
) -> None:
    """Two AUTO results in one chunk; the ledger refuses the second (more than is open):
    the first stays applied, the second waits in review with its proposal."""
    from cashapp.domain.proposals import MatchResult
    from cashapp.reconciliation.run import run_lettrage

    ledger.invoice("INV-1", "100.00")
    ledger.lines(("100.00", "INV-1"), ("100.00", "INV-1 again"))

    class Stubborn:
        version = "stub-1"

        def match(self, lines, ledger_view, policy):
            return [
                MatchResult(
                    line_key=task.key,
                    decision=DecisionKind.AUTO,
                    proposals=(make_proposal(("invoice", "INV-1", "100.00")),),
                )
                for task in lines
            ]

    summary = run_lettrage(engine, tenant, matcher=Stubborn(), policy=MatchPolicy())
    assert (summary.applied, summary.suggested) == (1, 1)
    with read_session(engine) as session:
        rows = list(export_lettrage(session, tenant))
        assert audit_ledger(session, tenant) == []
    assert [(r.bank_ref != "", r.decision, r.lettrage_code != "") for r in rows] == [
        (True, "auto", True),
        (True, "suggested", False),
    ]
    assert ledger.open_minor("INV-1") == 0


def _statement(engine, tenant, *lines: tuple[str, str, str, str]) -> dict[str, int]:
    """Store lines ``(bank_ref, amount, text, ISO booking date)``; their ids by bank_ref."""
    import uuid
    from datetime import date

    from cashapp.domain.statements import BankLine, Statement, StatementFile
    from cashapp.reconciliation.ingest import store_statement_file
    from cashapp.storage.repositories.bank import list_lines_without_live_application
    from cashapp.storage.transactions import write_transaction

    parsed = StatementFile(format="test", statements=[Statement(
        id=uuid.uuid4().hex, account="DE00TEST", currency="EUR",
        lines=[BankLine(bank_ref=ref, entry=n, amount=Decimal(amount), currency="EUR",
                        booking_date=date.fromisoformat(day), counterparty_name="Payer Ltd",
                        remittance_text=text)
               for n, (ref, amount, text, day) in enumerate(lines)])])
    with write_transaction(engine) as session:
        store_statement_file(session, tenant, parsed, sha256=uuid.uuid4().hex * 2,
                             filename=f"{uuid.uuid4().hex}.xml")
        return {row.bank_ref: int(row.id or 0)
                for row in list_lines_without_live_application(session, tenant)}


def test_the_history_window_ends_at_the_runs_own_date(engine, tenant, ledger, make_proposal,
                                                      monkeypatch) -> None:
    """A run over dated statements (or a backfill) sees the payments of the 730 days before
    its latest line, whatever today is, and none made after it."""
    from datetime import UTC, datetime

    from cashapp.reconciliation import run

    monkeypatch.setattr(run, "utc_now", lambda: datetime(2031, 1, 1, tzinfo=UTC))
    for number, customer in (("INV-10", "C1"), ("INV-11", "C2"), ("INV-12", "C3"),
                             ("INV-13", "C4")):
        ledger.invoice(number, "100.00", customer=customer)
    ids = _statement(engine, tenant, ("OLD", "100.00", "INV-10", "2023-10-01"),
                     ("PAID", "100.00", "INV-11", "2025-10-20"),
                     ("LATER", "100.00", "INV-12", "2025-12-01"),
                     ("TODAY", "100.00", "INV-13", "2025-11-05"))
    for ref, number in (("OLD", "INV-10"), ("PAID", "INV-11"), ("LATER", "INV-12")):
        ledger.apply(ids[ref], make_proposal(("invoice", number, "100.00")))
    with read_session(engine) as session:
        work = run.prepare_run(session, tenant)
    assert [task.line.bank_ref for task in work.tasks] == ["TODAY"]
    # as of 2025-11-05: 2023-10-01 is more than 730 days before, 2025-12-01 after it
    assert set(work.ledger.customer_history) == {"C2"}


def test_the_as_of_date_is_the_latest_line_else_today(monkeypatch) -> None:
    from datetime import UTC, date, datetime

    from cashapp.domain.statements import BankLine
    from cashapp.reconciliation import run

    monkeypatch.setattr(run, "utc_now", lambda: datetime(2031, 1, 1, tzinfo=UTC))

    def line(booking: date | None, value: date | None = None) -> BankLine:
        return BankLine(bank_ref="R", entry=0, amount=Decimal(1), currency="EUR",
                        booking_date=booking, value_date=value)

    assert run.as_of_date([line(date(2025, 1, 2)), line(date(2025, 3, 1)),
                           line(None, date(2025, 2, 1))]) == date(2025, 3, 1)
    assert run.as_of_date([line(None, date(2025, 2, 1))]) == date(2025, 2, 1)
    assert run.as_of_date([line(None)]) == run.as_of_date([]) == date(2031, 1, 1)
