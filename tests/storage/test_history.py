"""Past payments for the customers' habits, read in one query on both backends: live
applications of incoming lines only (a reversed one is no habit), grouped per application
and customer, cash and deductions apart, write-offs left out; and the run hands the
summarized habits to the matcher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cashapp.domain.history import summarize_history
from cashapp.reconciliation.apply import ActorType, reverse_application
from cashapp.reconciliation.run import prepare_run
from cashapp.storage.repositories.history import list_past_payments
from cashapp.storage.transactions import read_session, write_transaction


def test_past_payments_are_live_applications_grouped_per_payment(
        engine, tenant, ledger, make_proposal) -> None:
    for number, customer in (("INV-1", "C1"), ("INV-2", "C1"), ("INV-3", "C2"),
                             ("INV-4", "C2"), ("INV-5", "C1")):
        ledger.invoice(number, "100.00", customer=customer)
    bundle, short, charged, undone, _waiting = ledger.lines(
        ("200.00", "INV-1 INV-2"), ("90.00", "INV-3 minus 10 damaged"), ("95.00", "INV-4"),
        ("100.00", "INV-5"), ("100.00", "nothing applied"))
    ledger.apply(bundle, make_proposal(("invoice", "INV-1", "100.00"),
                                       ("invoice", "INV-2", "100.00")))
    ledger.apply(short, make_proposal(("invoice", "INV-3", "90.00"),
                                      ("deduction", "INV-3", "10.00", "damaged")), user=True)
    ledger.apply(charged, make_proposal(("invoice", "INV-4", "95.00"),
                                        ("write_off", "INV-4", "5.00", "bank_charges")))
    reversed_id = ledger.apply(undone, make_proposal(("invoice", "INV-5", "100.00")))
    with write_transaction(engine) as session:
        reverse_application(session, tenant, reversed_id, actor_type=ActorType.USER,
                            actor_id="alice")

    with read_session(engine) as session:
        past = list_past_payments(session, tenant)
        assert list_past_payments(session, tenant, since=date(2025, 11, 6)) == []
    assert [(p.customer_id, [i.invoice_number for i in p.invoices], p.paid, p.deducted,
             p.deduction_reason) for p in past] == [
        ("C1", ["INV-1", "INV-2"], Decimal("200.00"), Decimal(0), None),
        ("C2", ["INV-3"], Decimal("90.00"), Decimal("10.00"), "damaged"),
        ("C2", ["INV-4"], Decimal("95.00"), Decimal(0), None),
    ]
    assert {p.paid_on for p in past} == {date(2025, 11, 5)}  # the booking date (no value date)
    assert past[0].invoices[0].due_date == date(2025, 10, 31)

    histories = summarize_history(past)
    assert histories["C1"].delay_median == 5.0 and histories["C1"].bundle_share == 1.0
    assert histories["C2"].deduction_share == 0.5 and histories["C2"].usual_reason == "damaged"


def test_the_run_gives_the_matcher_each_customers_habits(engine, tenant, ledger,
                                                         make_proposal, monkeypatch) -> None:
    from cashapp.reconciliation import run

    monkeypatch.setattr(run, "HISTORY_WINDOW", run.HISTORY_WINDOW * 10)  # the fixtures' dates
    ledger.invoice("INV-10", "100.00", customer="C1")
    ledger.invoice("INV-11", "100.00", customer="C3")
    [line, _open] = ledger.lines(("100.00", "INV-10"), ("100.00", "INV-11"))
    ledger.apply(line, make_proposal(("invoice", "INV-10", "100.00")))
    with read_session(engine) as session:
        work = prepare_run(session, tenant)
    assert set(work.ledger.customer_history) == {"C1"}  # C3 never paid: a new customer
    assert work.ledger.customer_history["C1"].payments == 1
