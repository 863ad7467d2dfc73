"""Customer identification: who paid, from the payer's account, the payer's name (any
variant: case, accents, legal form dropped or spelled out, truncated at 18/27/35
characters), the ultimate debtor, a linked remittance's payer, learned aliases, and the
customers of the items the line names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from cashapp.matcher.api import LineToMatch
from cashapp.matcher.index import NAME_PREFIX, LedgerIndex
from cashapp.matcher.normalize import iban_key, name_words
from cashapp.matcher.refscan import ReferenceHit

FUZZY_NAME_MIN = 86.0  # token_sort_ratio below this is not evidence of the payer
MAX_WORD_FANOUT = 400  # a name word shared by more customers than this is not a key
NAME_CACHE = 100_000  # payer names remembered per index (then forgotten all at once)


@dataclass(slots=True)
class PayerEvidence:
    """How strongly the line points at one customer, and why."""

    customer_id: str
    account: float = 0.0  # known or learned account of the customer
    name: float = 0.0  # best similarity of a payer name (0..1)
    reference: float = 0.0  # strongest reference to one of its items
    how: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return max(self.account, self.name, self.reference)


def identify_customers(
    task: LineToMatch, index: LedgerIndex, hits: Mapping[int, ReferenceHit]
) -> dict[str, PayerEvidence]:
    """Every customer the line points at, with the evidence for each."""
    found: dict[str, PayerEvidence] = {}

    def note(customer_id: str, kind: str, value: float, how: str) -> None:
        ev = found.setdefault(customer_id, PayerEvidence(customer_id))
        if value > getattr(ev, kind):
            setattr(ev, kind, value)
        if how not in ev.how:
            ev.how.append(how)

    line = task.line
    ids = index.customers.ids
    accounts = [line.counterparty_account] + [r.payer_account for r in task.remittances]
    for account in accounts:
        key = iban_key(account)
        if not key:
            continue
        for code in index.by_account.get(key):
            note(ids[code], "account", 1.0, f"known account {account}")
        for code in index.learned_accounts.get(key):
            note(ids[code], "account", 0.95, f"learned account {account}")
    names = [line.counterparty_name, line.ultimate_party] + [r.payer for r in task.remittances]
    for name in names:
        if not name:
            continue
        for cid, similarity, how in match_name(index, name):
            note(cid, "name", similarity, how)
    numbers = index.columns.numbers
    for hit in hits.values():
        note(index.customer_of(hit.item), "reference", hit.strength,
             f"names its item {numbers[hit.item]}")
    return found


def match_name(index: LedgerIndex, name: str) -> Iterable[tuple[str, float, str]]:
    """Customers whose name matches ``name``: exactly (after normalising), learned, as a
    truncation, or fuzzily among the customers sharing a significant word. Remembered per
    index (the same payers pay again and again in one run)."""
    cache = index.name_matches
    found = cache.get(name)
    if found is None:
        if len(cache) >= NAME_CACHE:
            cache.clear()
        found = cache[name] = tuple(_match_name(index, name))
    return found


def _match_name(index: LedgerIndex, name: str) -> Iterable[tuple[str, float, str]]:
    words = name_words(name)  # name_key and compact_name of ``name``, from one split
    key = " ".join(words)
    if not key:
        return
    customers = index.customers
    ids, keys = customers.ids, customers.keys
    for code in index.by_name.get(key):
        yield ids[code], 1.0, f"payer name {name!r}"
    for code in index.learned_names.get(key):
        yield ids[code], 0.95, f"learned payer name {name!r}"
    compact = "".join(words)
    if len(compact) >= NAME_PREFIX:
        for code in index.by_name_prefix.get(compact[:NAME_PREFIX]):
            full = keys[code].replace(" ", "")
            if full != compact and (full.startswith(compact) or compact.startswith(full)):
                yield ids[code], 0.93, f"payer name {name!r} (truncated)"
    groups = []
    for word in words:
        if len(word) < 3:
            continue
        owners = index.by_name_word.get(word)
        if owners and len(owners) <= MAX_WORD_FANOUT:
            groups.append(owners)
    if not groups:
        return
    # not a set's order: that changes with the process's hash seed (codes follow the sorted
    # ids, and one word's owners are already ascending)
    codes: Sequence[int] = groups[0] if len(groups) == 1 else sorted(set().union(*groups))
    text, offsets = keys.text, keys.offsets  # the name keys sliced inline: hundreds per name
    choices = [text[offsets[c] : offsets[c + 1]] for c in codes]
    for _, similarity, n in process.extract(key, choices, scorer=fuzz.token_sort_ratio,
                                            score_cutoff=FUZZY_NAME_MIN, limit=5):
        if similarity < 100:
            yield ids[codes[n]], 0.9 * similarity / 100, f"payer name {name!r} ~ {similarity:.0f}%"
