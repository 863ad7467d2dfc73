"""Customer identification from the payer's account and the many spellings of its name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.statements import BankLine
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.matcher.customers import identify_customers
from cashapp.matcher.index import build_index

CUSTOMERS = [
    Customer(customer_id="C1", name="Müller Maschinenbau GmbH & Co. KG",
             ibans=("DE89370400440532013000",)),
    Customer(customer_id="C2", name="Société Générale des Eaux SA"),
    Customer(customer_id="C3", name="Acme International Trading Limited"),
    Customer(customer_id="C4", name="Acme Foods Ltd"),
]
ITEM = OpenItem(invoice_number="INV-1", customer_id="C1", customer_name=CUSTOMERS[0].name,
                issue_date=date(2025, 1, 1), due_date=date(2025, 2, 1), currency="EUR",
                amount=Decimal("1.00"), open_amount=Decimal("1.00"))


def who(name: str | None = None, account: str | None = None, **ledger: object) -> dict[str, float]:
    view = LedgerView(open_items=[ITEM], customers=CUSTOMERS, **ledger)  # type: ignore[arg-type]
    line = BankLine(bank_ref="b", entry=0, amount=Decimal("1.00"), currency="EUR",
                    counterparty_name=name, counterparty_account=account)
    found = identify_customers(LineToMatch(key="k", line=line), build_index(view), {})
    return {cid: round(max(ev.account, ev.name), 2) for cid, ev in found.items()}


@pytest.mark.parametrize("written", [
    "MUELLER MASCHINENBAU GMBH & CO. KG",  # upper case, umlaut spelled out
    "MULLER MASCHINENBAU GMBH UND CO KG",  # accent dropped, legal form spelled differently
    "Müller Maschinenbau",  # legal form dropped
    "MUELLER MASCHINENB",  # truncated at 18
])
def test_name_variants_find_the_customer(written: str) -> None:
    found = who(written)
    assert found.get("C1", 0) >= 0.9, found


@pytest.mark.parametrize(("written", "length"), [
    ("SOCIETE GENERALE DES EAUX SOCIETE ANONYME", 27),
    ("ACME INTERNATIONAL TRADING LIMITED", 18),
    ("ACME INTERNATIONAL TRADING LIMITED", 35),
])
def test_truncated_names(written: str, length: int) -> None:
    found = who(written[:length])
    expected = "C2" if written.startswith("SOC") else "C3"
    assert found.get(expected, 0) >= 0.9, found
    assert found.get("C4", 0) < 0.9


def test_known_account_wins_without_a_name() -> None:
    assert who(account="DE89 3704 0044 0532 0130 00") == {"C1": 1.0}


def test_learned_aliases_are_evidence() -> None:
    found = who("HOLDING PAYMENTS BV", "NL91ABNA0417164300",
                learned_accounts={"NL91ABNA0417164300": ("C4",)},
                learned_names={"Holding Payments B.V.": ("C4",)})
    assert found == {"C4": 0.95}


def test_an_unrelated_name_finds_nobody() -> None:
    assert who("HAUSBANK AG") == {}
