"""Linking remittance advices to the bank lines that paid them. Pure: records in, links out.

Two passes, strongest evidence first, and nothing guessed:
1. **Payment identifier**: the advice's ``payment_id`` (EndToEndId, the payer's payment
   number, an X12 trace number) equals the line's ``end_to_end_id`` or appears as a whole
   token in its remittance text, additional information or bank reference.
2. **Payer + amount + date**: the line's amount equals the advice's total (else the sum of
   its lines), same currency, booked within ``LinkPolicy.date_window_days`` of the advice's
   date, and the payer agrees: same account, or the advice's email domain and the line's
   account or name lead to the same customer, or the names match (rapidfuzz, legal forms
   dropped).

An advice that fits several lines, or a line claimed by several advices, is reported
``ambiguous`` with its candidates (a person decides); one with no fitting line stays
``pending`` so that a later run, with newer bank lines, can link it. Each link carries its
evidence, and ``trusted`` says whether the advice may support an automatic application
(an untrusted advice can only suggest).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rapidfuzz import fuzz

from cashapp.domain.remittances import Remittance
from cashapp.domain.statements import BankLine, LineStatus

_LEGAL_FORMS = re.compile(
    r"\b(gmbh|ag|kg|ohg|ug|e\.?k|sarl|sas|sa|sasu|eurl|snc|ltd|limited|llc|inc|corp|plc|"
    r"b\.?v|n\.?v|vof|s\.?l|s\.?a|s\.?r\.?l|s\.?p\.?a|spa|srl|co|cie|company|& co)\b\.?"
)
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
MIN_ID_LENGTH = 5


class LinkStatus(StrEnum):
    LINKED = "linked"
    AMBIGUOUS = "ambiguous"
    PENDING = "pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyedRemittance:
    key: str  # the caller's id of the advice (storage row, file + index)
    remittance: Remittance


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyedLine:
    key: str  # the caller's id of the bank line
    line: BankLine


@dataclass(frozen=True, slots=True, kw_only=True)
class PayerDirectory:
    """What the ledger knows about customers: email domains, accounts and names."""

    customer_by_domain: Mapping[str, str] = field(default_factory=dict)
    customer_by_account: Mapping[str, str] = field(default_factory=dict)
    customer_names: Mapping[str, str] = field(default_factory=dict)  # customer id -> name


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkPolicy:
    date_window_days: int = 10
    name_threshold: float = 88.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RemittanceLink:
    """The outcome for one advice."""

    remittance_key: str
    status: LinkStatus
    line_key: str | None = None
    method: str | None = None  # "payment_id" | "payer_amount_date"
    evidence: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    trusted: bool = False


def normalize_id(text: str | None) -> str:
    return _NOT_ALNUM.sub("", (text or "").upper())


_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe",
                                "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "œ": "oe", "þ": "th"})


def normalize_name(text: str | None) -> str:
    """Lower case, German umlauts spelled out, accents dropped, legal forms dropped."""
    spelled = (text or "").lower().translate(_TRANSLITERATE)
    decomposed = unicodedata.normalize("NFKD", spelled)
    lowered = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("&", " & ")
    return " ".join(_LEGAL_FORMS.sub(" ", lowered).replace(".", " ").replace(",", " ").split())


LONG_ID_LENGTH = 10


class _LineIndex:
    """The applicable credit lines, indexed by id token and by amount (built once per run)."""

    def __init__(self, lines: Sequence[KeyedLine]) -> None:
        self.lines = [keyed for keyed in lines if _applicable(keyed.line)]
        self.by_token: dict[str, list[KeyedLine]] = defaultdict(list)
        self.by_amount: dict[Decimal, list[KeyedLine]] = defaultdict(list)
        self.joined: list[tuple[str, KeyedLine]] = []
        for keyed in self.lines:
            line = keyed.line
            texts = (line.remittance_text, line.additional_info or "", line.bank_ref)
            tokens = {normalize_id(t) for text in texts for t in re.split(r"[\s/;:,]+", text)}
            tokens.add(normalize_id(line.end_to_end_id))
            for token in tokens - {""}:
                self.by_token[token].append(keyed)
            self.by_amount[line.amount].append(keyed)
            self.joined.append((normalize_id("".join(texts)), keyed))

    def with_id(self, payment_id: str) -> list[KeyedLine]:
        """Lines whose EndToEndId or a whole text token is the id; a long id (10+ characters)
        may also be cut across the text (MT940 subfields): then found in the joined texts."""
        found = list(self.by_token.get(payment_id, []))
        if not found and len(payment_id) >= LONG_ID_LENGTH:
            found = [keyed for joined, keyed in self.joined if payment_id in joined]
        return found


def expected_amount(remittance: Remittance) -> Decimal | None:
    """The amount the payment should show: the stated total, else the lines' sum."""
    if remittance.total is not None:
        return remittance.total
    values = [line.contribution() for line in remittance.lines]
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _customer_of_line(line: BankLine, directory: PayerDirectory, policy: LinkPolicy) -> str | None:
    account = normalize_id(line.counterparty_account)
    if account and account in directory.customer_by_account:
        return directory.customer_by_account[account]
    name = normalize_name(line.counterparty_name)
    if not name:
        return None
    best, best_score = None, 0.0
    for customer, customer_name in directory.customer_names.items():
        score = fuzz.token_set_ratio(name, normalize_name(customer_name))
        if score > best_score:
            best, best_score = customer, score
    return best if best_score >= policy.name_threshold else None


def payer_evidence(
    remittance: Remittance, line: BankLine, directory: PayerDirectory, policy: LinkPolicy
) -> str | None:
    """Why the advice's payer is the line's counterparty, or ``None``."""
    account = normalize_id(remittance.payer_account)
    if account and account == normalize_id(line.counterparty_account):
        return f"same payer account {remittance.payer_account}"
    if remittance.payer and line.counterparty_name:
        score = fuzz.token_set_ratio(
            normalize_name(remittance.payer), normalize_name(line.counterparty_name)
        )
        if score >= policy.name_threshold:
            return f"payer name {remittance.payer!r} ~ {line.counterparty_name!r} ({score:.0f})"
    domain = (remittance.payer_email_domain or "").lower()
    customer = directory.customer_by_domain.get(domain) if domain else None
    if customer is not None and customer == _customer_of_line(line, directory, policy):
        return f"email domain {domain} and the bank line both belong to customer {customer}"
    return None


def _within(remittance_date: date | None, line: BankLine, days: int) -> bool:
    if remittance_date is None:
        return True
    booked = line.booking_date or line.value_date
    return booked is None or abs((booked - remittance_date).days) <= days


def _applicable(line: BankLine) -> bool:
    return line.amount > 0 and line.status is LineStatus.BOOKED and not line.reversal


def link_remittances(
    remittances: Sequence[KeyedRemittance],
    lines: Sequence[KeyedLine],
    *,
    directory: PayerDirectory | None = None,
    policy: LinkPolicy | None = None,
) -> list[RemittanceLink]:
    """One ``RemittanceLink`` per advice, in the order given."""
    directory = directory or PayerDirectory()
    policy = policy or LinkPolicy()
    credits = _LineIndex(lines)
    proposals: dict[str, tuple[str, str, list[str]]] = {}
    outcome: dict[str, RemittanceLink] = {}
    for keyed in remittances:
        proposal = _propose(keyed.remittance, credits, directory, policy)
        if isinstance(proposal, RemittanceLink):
            outcome[keyed.key] = _keyed(proposal, keyed)
        else:
            proposals[keyed.key] = proposal
    claimed: dict[str, list[str]] = defaultdict(list)
    for remittance_key, (line_key, _, _) in proposals.items():
        claimed[line_key].append(remittance_key)
    by_key = {keyed.key: keyed for keyed in remittances}
    for remittance_key, (line_key, method, evidence) in proposals.items():
        rivals = claimed[line_key]
        if len(rivals) > 1:
            outcome[remittance_key] = RemittanceLink(
                remittance_key=remittance_key,
                status=LinkStatus.AMBIGUOUS,
                evidence=(
                    f"bank line {line_key} also fits advices "
                    f"{sorted(set(rivals) - {remittance_key})}",
                ),
                candidates=(line_key,),
            )
            continue
        trusted = by_key[remittance_key].remittance.trusted
        if not trusted:
            evidence = [*evidence, "advice untrusted (defects or unverified sender): suggest only"]
        outcome[remittance_key] = RemittanceLink(
            remittance_key=remittance_key,
            status=LinkStatus.LINKED,
            line_key=line_key,
            method=method,
            evidence=tuple(evidence),
            candidates=(line_key,),
            trusted=trusted,
        )
    return [outcome[keyed.key] for keyed in remittances]


def _keyed(link: RemittanceLink, keyed: KeyedRemittance) -> RemittanceLink:
    return RemittanceLink(
        remittance_key=keyed.key,
        status=link.status,
        evidence=link.evidence,
        candidates=link.candidates,
    )


def _propose(
    remittance: Remittance,
    credits: _LineIndex,
    directory: PayerDirectory,
    policy: LinkPolicy,
) -> tuple[str, str, list[str]] | RemittanceLink:
    amount = expected_amount(remittance)
    payment_id = normalize_id(remittance.payment_id)
    if len(payment_id) >= MIN_ID_LENGTH:
        by_id = credits.with_id(payment_id)
        if len(by_id) > 1 and amount is not None:
            by_id = [k for k in by_id if k.line.amount == amount] or by_id
        if len(by_id) == 1:
            line = by_id[0].line
            evidence = [f"payment id {remittance.payment_id} found on the bank line"]
            if amount is not None and line.amount != amount:
                evidence.append(f"amount differs: advice {amount}, bank {line.amount}")
            return by_id[0].key, "payment_id", evidence
        if len(by_id) > 1:
            return RemittanceLink(
                remittance_key="",
                status=LinkStatus.AMBIGUOUS,
                evidence=(f"payment id {remittance.payment_id} on {len(by_id)} bank lines",),
                candidates=tuple(k.key for k in by_id),
            )
    if amount is None:
        return RemittanceLink(
            remittance_key="", status=LinkStatus.PENDING, evidence=("no amount to compare",)
        )
    fitting: list[tuple[KeyedLine, str]] = []
    for keyed in credits.by_amount.get(amount, []):
        line = keyed.line
        if remittance.currency and line.currency != remittance.currency:
            continue
        if not _within(remittance.date, line, policy.date_window_days):
            continue
        why = payer_evidence(remittance, line, directory, policy)
        if why is not None:
            fitting.append((keyed, why))
    if len(fitting) == 1:
        keyed, why = fitting[0]
        when = keyed.line.booking_date or keyed.line.value_date
        evidence = [why, f"amount {amount} equal", f"booked {when}, advice dated {remittance.date}"]
        return keyed.key, "payer_amount_date", evidence
    if fitting:
        return RemittanceLink(
            remittance_key="",
            status=LinkStatus.AMBIGUOUS,
            evidence=(f"{len(fitting)} bank lines fit payer, amount {amount} and date",),
            candidates=tuple(k.key for k, _ in fitting),
        )
    return RemittanceLink(
        remittance_key="",
        status=LinkStatus.PENDING,
        evidence=("no bank line yet with this payment id, or payer, amount and date",),
    )
