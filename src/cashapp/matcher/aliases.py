"""Learned payer aliases: accounts and payer names that consistently paid for one customer,
proposed as readable rules ("account DE89... pays for customer C042 (seen 3 times)").

Pure: confirmed payers in, rules out. A rule's ``key`` is the form the matcher looks it up
by (``customers.identify_customers``: ``iban_key`` of an account, ``name_key`` of a name);
accepted rules reach the matcher as ``LedgerView.learned_accounts`` / ``learned_names``
(keyed by the value as written: the index normalises it with the same function), where they
are evidence (0.95), not proof.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from cashapp.domain.aliases import alias_text
from cashapp.domain.statements import BankLine
from cashapp.matcher.api import LedgerView
from cashapp.matcher.normalize import iban_key, name_key

MIN_SUPPORT = 2  # confirmed lines before an account or name is proposed


class AliasKind(StrEnum):
    ACCOUNT = "account"
    NAME = "name"


def alias_key(kind: str, value: str | None) -> str:
    """The lookup key of ``value`` as the matcher computes it (empty when it has none)."""
    if not value:
        return ""
    return iban_key(value) if kind == AliasKind.ACCOUNT else name_key(value)


@dataclass(frozen=True, slots=True)
class AliasRule:
    """A learned payer identity, readable and reversible."""

    kind: str  # "account" | "name"
    value: str  # as written on the bank lines (first seen form)
    customer_id: str
    support: int

    @property
    def key(self) -> str:
        return alias_key(self.kind, self.value)

    @property
    def text(self) -> str:
        return alias_text(self.kind, self.value, self.customer_id, self.support)


def known_keys(ledger: LedgerView) -> tuple[set[str], set[str]]:
    """Account and name keys the ledger already ties to customers (learned ones included)."""
    accounts = {iban_key(i) for c in ledger.customers for i in c.ibans}
    accounts |= {iban_key(i.customer_iban) for i in ledger.open_items if i.customer_iban}
    accounts |= {iban_key(a) for a in ledger.learned_accounts}
    names = {name_key(c.name) for c in ledger.customers}
    names |= {name_key(i.customer_name) for i in ledger.open_items}
    names |= {name_key(n) for n in ledger.learned_names}
    return accounts, names


def propose_aliases(
    ledger: LedgerView,
    confirmed: Iterable[tuple[BankLine, str]],
    *,
    min_support: int = MIN_SUPPORT,
) -> list[AliasRule]:
    """Accounts and payer names of ``confirmed`` (each a line a person booked for one
    customer) that paid for exactly one customer at least ``min_support`` times and that the
    ledger does not know yet; sorted by kind and key."""
    known_accounts, known_names = known_keys(ledger)
    seen: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    written: dict[tuple[str, str], str] = {}
    for line, customer_id in confirmed:
        for kind, raw in ((AliasKind.ACCOUNT, line.counterparty_account),
                          (AliasKind.NAME, line.counterparty_name)):
            key = alias_key(kind, raw)
            if not raw or not key:
                continue
            if key in (known_accounts if kind == AliasKind.ACCOUNT else known_names):
                continue
            seen[(kind.value, key)][customer_id] += 1
            written.setdefault((kind.value, key), raw)
    rules: list[AliasRule] = []
    for (found, key), customers in sorted(seen.items()):
        if len(customers) != 1:
            continue  # paid for several customers: a group payer or a bank, not an alias
        [(customer_id, support)] = customers.items()
        if support >= min_support:
            rules.append(AliasRule(kind=found, value=written[(found, key)],
                                   customer_id=customer_id, support=support))
    return rules
