"""Linking remittances to payments: by payment id, else payer + amount + date; never guessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fixtures.remittance.link_set import build_link_set
from hypothesis import given
from hypothesis import strategies as st

from cashapp.domain.remittances import Remittance, RemittanceLine
from cashapp.domain.statements import BankLine, LineStatus
from cashapp.matcher.remittance_link import (
    KeyedLine,
    KeyedRemittance,
    LinkStatus,
    PayerDirectory,
    link_remittances,
    normalize_name,
)


def _advice(key: str = "R1", **changes: object) -> KeyedRemittance:
    fields: dict[str, object] = {
        "format": "email",
        "payer": "Müller Maschinenbau GmbH",
        "payer_email_domain": "mueller.example",
        "payment_id": None,
        "date": date(2025, 11, 5),
        "currency": "EUR",
        "total": Decimal("1500.00"),
        "lines": (RemittanceLine(reference="RE-1", paid=Decimal("1500.00")),),
    }
    fields.update(changes)
    return KeyedRemittance(key=key, remittance=Remittance(**fields))  # type: ignore[arg-type]


def _line(key: str, amount: str = "1500.00", **changes: object) -> KeyedLine:
    fields: dict[str, object] = {
        "bank_ref": key,
        "entry": 0,
        "amount": Decimal(amount),
        "currency": "EUR",
        "booking_date": date(2025, 11, 6),
        "counterparty_name": "MUELLER MASCHINENBAU",
    }
    fields.update(changes)
    return KeyedLine(key=key, line=BankLine(**fields))  # type: ignore[arg-type]


def test_payment_id_in_the_bank_text_links_even_with_another_name() -> None:
    advice = _advice(payment_id="ZR-2025-118842")
    lines = [
        _line("L1", counterparty_name="PARENT HOLDING", remittance_text="ZAHLUNG ZR2025118842")
    ]
    [link] = link_remittances([advice], lines)
    assert (link.status, link.line_key, link.method) == (LinkStatus.LINKED, "L1", "payment_id")


def test_end_to_end_id_links() -> None:
    lines = [_line("L1", end_to_end_id="E2E-77"), _line("L2")]
    [link] = link_remittances([_advice(payment_id="E2E-77")], lines)
    assert link.line_key == "L1"


def test_short_ids_are_not_searched_in_text() -> None:
    lines = [_line("L1", amount="9.99", remittance_text="ORDER 0001 THANKS")]
    [link] = link_remittances([_advice(payment_id="0001")], lines)
    assert link.status is LinkStatus.PENDING


def test_payer_amount_and_date_link_without_an_id() -> None:
    lines = [
        _line("L1"),
        _line("L2", amount="1499.00"),
        _line("L3", counterparty_name="OTHER GMBH"),
    ]
    [link] = link_remittances([_advice()], lines)
    assert (link.status, link.line_key, link.method) == (
        LinkStatus.LINKED,
        "L1",
        "payer_amount_date",
    )
    assert any("payer name" in e for e in link.evidence)


def test_outside_the_date_window_stays_pending() -> None:
    [link] = link_remittances([_advice()], [_line("L1", booking_date=date(2025, 12, 20))])
    assert link.status is LinkStatus.PENDING


def test_two_fitting_payments_are_reported_not_guessed() -> None:
    lines = [_line("L1"), _line("L2", booking_date=date(2025, 11, 7))]
    [link] = link_remittances([_advice()], lines)
    assert link.status is LinkStatus.AMBIGUOUS
    assert set(link.candidates) == {"L1", "L2"}
    assert link.line_key is None


def test_a_line_claimed_by_two_advices_links_neither() -> None:
    links = link_remittances([_advice("R1"), _advice("R2")], [_line("L1")])
    assert [link.status for link in links] == [LinkStatus.AMBIGUOUS, LinkStatus.AMBIGUOUS]


def test_advice_before_its_payment_is_linked_in_a_later_run() -> None:
    advice = _advice(payment_id="PAY-LATER-1")
    assert link_remittances([advice], [])[0].status is LinkStatus.PENDING
    later = link_remittances([advice], [_line("L9", remittance_text="PAY-LATER-1")])
    assert later[0].status is LinkStatus.LINKED


def test_email_domain_mapped_to_the_customer_of_the_paying_account() -> None:
    directory = PayerDirectory(
        customer_by_domain={"mueller.example": "C1"},
        customer_by_account={"FR7630004000031234567890143": "C1"},
    )
    advice = _advice(payer=None)
    lines = [
        _line(
            "L1",
            counterparty_name="HOLDING SA",
            counterparty_account="FR76 3000 4000 0312 3456 7890 143",
        )
    ]
    [link] = link_remittances([advice], lines, directory=directory)
    assert link.line_key == "L1"


def test_debits_pending_and_reversed_lines_are_never_linked() -> None:
    lines = [
        _line("D", amount="-1500.00"),
        _line("P", status=LineStatus.PENDING),
        _line("R", reversal=True),
    ]
    assert link_remittances([_advice()], lines)[0].status is LinkStatus.PENDING


def test_untrusted_advice_links_but_may_only_suggest() -> None:
    [link] = link_remittances([_advice(trusted=False)], [_line("L1")])
    assert link.status is LinkStatus.LINKED and not link.trusted
    assert any("suggest only" in e for e in link.evidence)


def test_amount_falls_back_to_the_sum_of_lines() -> None:
    advice = _advice(
        total=None,
        lines=(
            RemittanceLine(
                reference="A", gross=Decimal("1000.00"), discount=Decimal("20.00"), paid=None
            ),
            RemittanceLine(reference="B", paid=Decimal("520.00")),
        ),
    )
    assert link_remittances([advice], [_line("L1")])[0].line_key == "L1"


def test_names_are_compared_without_legal_forms_and_accents() -> None:
    assert normalize_name("Müller Maschinenbau GmbH") == normalize_name("MUELLER MASCHINENBAU")
    assert normalize_name("Distribuciones García S.L.") == "distribuciones garcia"
    assert normalize_name("Łukasz Marglo Logistics Oy") == normalize_name("LUKASZ MARGLO LOGISTICS OY")


def test_precision_and_recall_on_the_generated_set() -> None:
    remittances, lines, directory, cases = build_link_set(count=300, seed=7)
    links = {
        link.remittance_key: link
        for link in link_remittances(remittances, lines, directory=directory)
    }
    linked = [c for c in cases if links[c.remittance_key].status is LinkStatus.LINKED]
    correct = [c for c in linked if links[c.remittance_key].line_key == c.truth_line]
    linkable = [c for c in cases if c.truth_line is not None and c.scenario != "twin_payments"]
    assert len(correct) == len(linked)  # precision 1.0: nothing guessed
    assert len([c for c in correct if c in linkable]) >= 0.97 * len(linkable)
    assert all(
        links[c.remittance_key].status is not LinkStatus.LINKED
        for c in cases
        if c.scenario == "not_yet_paid"
    )


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=6))
def test_never_links_when_several_lines_fit(offsets: list[int]) -> None:
    lines = [_line(f"L{i}", booking_date=date(2025, 11, 5 + o)) for i, o in enumerate(offsets)]
    [link] = link_remittances([_advice()], lines)
    if len(lines) == 1:
        assert link.status is LinkStatus.LINKED
    else:
        assert link.status is LinkStatus.AMBIGUOUS and link.line_key is None
