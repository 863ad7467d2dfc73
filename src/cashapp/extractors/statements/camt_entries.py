"""One camt ``Ntry`` into bank lines: one line per ``TxDtls`` (batch bookings split), or one
line for an entry without details.

- Amount: the entry's ``Amt`` for an entry with at most one detail (what was booked); for a
  batch, each detail's ``Amt`` (v03+) or ``AmtDtls/TxAmt/Amt`` (v02), signed by the detail's
  ``CdtDbtInd`` when it has one, else the entry's. The details' sum is checked against the
  entry: a difference is a statement warning, never corrected.
- ``RvslInd`` marks a reversal; the sign still follows ``CdtDbtInd``. The counterparty is the
  debtor of an original credit and the creditor of an original debit.
- ``Sts`` (text, or ``Sts/Cd`` from v09): BOOK booked, PDNG/FUTR pending, anything else info.
- ``bank_ref`` (CONTRACT.md): ``TxDtls/Refs/AcctSvcrRef``, else ``Ntry/AcctSvcrRef`` (with
  ``/<n>`` for the n-th detail of a batch, so batch lines stay distinct), else
  ``TxDtls/Refs/EndToEndId``; placeholders such as ``NOTPROVIDED`` do not count. Lines
  with none get ``None`` here and a key derived from the statement later (``camt``).
- ``extra`` (inspect only): ``entry_reference`` (NtryRef), ``entry_bank_ref``
  (Ntry/AcctSvcrRef, the key camt.054 details are linked by), ``payment_information_id``,
  ``batch_transactions`` (Btch/NbOfTxs), ``detail`` (n-th TxDtls of a batch),
  ``bank_transaction_code_proprietary``, ``instruction_id``, ``transaction_id``, ``uetr``,
  ``return_reason`` (RtrInf/Rsn), ``exchange_rate``, ``charges_currency``, ``entry_charges``
  (charges booked on a batch entry as a whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from lxml import etree

from cashapp.domain.statements import BankLine, LineStatus
from cashapp.extractors.statements.camt_remittance import EMPTY, Remittance, read_remittance
from cashapp.extractors.statements.camt_values import (
    Flat,
    Kids,
    Values,
    first,
    first_text,
)
from cashapp.extractors.statements.line_builder import bank_line

PLACEHOLDERS = frozenset({"NOTPROVIDED", "NOT PROVIDED", "NONREF", "NONE", "N/A"})
_REFERENCE_EXTRAS = (
    ("Refs/InstrId", "instruction_id"),
    ("Refs/TxId", "transaction_id"),
    ("Refs/UETR", "uetr"),
    ("Refs/PmtInfId", "payment_information_id"),
)
_STATUS = {
    "BOOK": LineStatus.BOOKED,
    "PDNG": LineStatus.PENDING,
    "FUTR": LineStatus.PENDING,
    "INFO": LineStatus.INFO,
}


@dataclass(slots=True)
class EntryResult:
    """The lines of one entry (``bank_ref`` may still be empty) and any warning about it."""

    lines: list[BankLine]
    warnings: list[str]


class _Entry(NamedTuple):
    """What every line of one entry shares."""

    kids: Flat
    position: int  # the entry's index in its statement
    booking: date | None
    valued: date | None
    status: LineStatus
    reversal: bool
    code: tuple[str | None, str | None]
    info: str | None
    extra: dict[str, str]


def _ref(text: str | None) -> str | None:
    if text is None or text.upper() in PLACEHOLDERS:
        return None
    return text


_ENTRY_STOP = frozenset({"NtryDtls", "TxDtls", "Btch", "Chrgs", "Sts"})
_DETAIL_STOP = frozenset({"Strd", "Chrgs", "Sts"})


def _side_keys(party: str, account: str, ultimate: str, agent: str) -> tuple[str, ...]:
    """The flat paths ``_side`` reads, in its order (built once, not per line)."""
    return (
        *_party_keys(party),
        f"{account}/IBAN",
        f"{account}/Othr/Id",
        *_party_keys(ultimate),
        f"{agent}/FinInstnId/BICFI",
        f"{agent}/FinInstnId/BIC",
    )


def _party_keys(prefix: str) -> tuple[str, str, str]:
    """A party's name: ``Nm`` (v02-v07) or ``Pty/Nm`` / ``Agt/FinInstnId/Nm`` (v08+)."""
    return (f"{prefix}/Nm", f"{prefix}/Pty/Nm", f"{prefix}/Agt/FinInstnId/Nm")


_SIDES = (
    _side_keys(
        "RltdPties/Dbtr", "RltdPties/DbtrAcct/Id", "RltdPties/UltmtDbtr", "RltdAgts/DbtrAgt"
    ),
    _side_keys(
        "RltdPties/Cdtr", "RltdPties/CdtrAcct/Id", "RltdPties/UltmtCdtr", "RltdAgts/CdtrAgt"
    ),
)
_SIDES_SWAPPED = _SIDES[::-1]
_DATES = {name: (f"{name}/Dt", f"{name}/DtTm", name) for name in ("BookgDt", "ValDt")}


class EntryReader:
    """Reads the entries of one file; ``values`` knows the namespace and the file name."""

    __slots__ = ("own_account", "values")

    def __init__(self, values: Values) -> None:
        self.values = values
        self.own_account: str | None = None  # the statement's account, never a counterparty

    def read(self, ntry: etree._Element, index: int, path: str) -> EntryResult:
        v = self.values
        kids = v.flat_top(ntry, _ENTRY_STOP)
        elements = kids.elements
        texts = kids.texts
        amount_node = elements.get("Amt")
        if amount_node is None:
            raise v.error("entry without Amt", ntry, path)
        magnitude, currency = v.amount(amount_node, path, "Amt")
        credit = v.credit(elements.get("CdtDbtInd"), path, "CdtDbtInd", default=None, parent=ntry)
        signed = magnitude if credit else -magnitude
        reversal = (texts.get("RvslInd") or "").lower() in ("true", "1")
        status = self._status(elements.get("Sts"), texts.get("Sts"))
        booking = self._date(elements, texts, "BookgDt", path)
        valued = self._date(elements, texts, "ValDt", path)
        entry_ref = _ref(texts.get("AcctSvcrRef"))
        entry_code = _code(texts)
        entry_info = texts.get("AddtlNtryInf")

        details: list[tuple[etree._Element, str]] = []
        batch: Kids = {}
        holders = kids.all("NtryDtls") or [ntry]  # v01 keeps Btch/TxDtls under Ntry
        for h, holder in enumerate(holders):
            if holder is ntry:
                prefix = path
                batch_node = elements.get("Btch")
                transactions = kids.all("TxDtls")
            else:
                prefix = f"{path}/NtryDtls[{h + 1}]" if len(holders) > 1 else f"{path}/NtryDtls"
                batch_node, transactions = v.batch_and_details(holder)
            if not batch and batch_node is not None:
                batch = v.kids(batch_node)
            for d, tx in enumerate(transactions):
                details.append((tx, f"{prefix}/TxDtls[{d + 1}]"))

        extra_entry: dict[str, str] = {}
        if fact := texts.get("NtryRef"):
            extra_entry["entry_reference"] = fact
        if entry_ref:
            extra_entry["entry_bank_ref"] = entry_ref
        if batch:
            if fact := first_text(batch, "PmtInfId"):
                extra_entry["payment_information_id"] = fact
            if fact := first_text(batch, "NbOfTxs"):
                extra_entry["batch_transactions"] = fact
        if entry_code[1]:
            extra_entry["bank_transaction_code_proprietary"] = entry_code[1]
        entry = _Entry(
            kids, index, booking, valued, status, reversal, entry_code, entry_info, extra_entry
        )

        if len(details) <= 1:
            tx, tx_path = details[0] if details else (None, path)
            tx_kids = v.flat(tx, _DETAIL_STOP)
            line = self._line(entry, tx_kids, tx_path, credit, signed, currency, entry_ref)
            return EntryResult([line], [])

        lines: list[BankLine] = []
        warnings: list[str] = []
        total = Decimal(0)
        checkable = True
        for d, (tx, tx_path) in enumerate(details):
            tx_kids = v.flat(tx, _DETAIL_STOP)
            found = self._detail_amount(tx_kids.elements, currency, tx_path)
            if found is None:
                warnings.append(
                    f"entry {index + 1}: transaction detail {d + 1} has no amount; "
                    "the batch is kept as one line"
                )
                line = self._line(entry, Flat(), path, credit, signed, currency, entry_ref)
                return EntryResult([line], warnings)
            value, value_currency = found
            detail_credit = v.credit(
                tx_kids.elements.get("CdtDbtInd"), tx_path, "CdtDbtInd", default=credit
            )
            amount = value if detail_credit else -value
            if value_currency == currency:
                total += amount
            else:
                checkable = False
            fallback = f"{entry_ref}/{d + 1}" if entry_ref else None
            lines.append(
                self._line(
                    entry, tx_kids, tx_path, detail_credit, amount, value_currency, fallback, signed
                )
            )
        if not checkable:
            warnings.append(
                f"entry {index + 1}: transaction details in another currency than the entry "
                f"({currency}); the batch total could not be checked"
            )
        elif total != signed:
            warnings.append(
                f"entry {index + 1}: amount {signed} {currency} but its {len(details)} "
                f"transaction details sum to {total}"
            )
        return EntryResult(lines, warnings)

    def _date(
        self,
        elements: dict[str, etree._Element],
        texts: dict[str, str | None],
        name: str,
        path: str,
    ) -> date | None:
        """``BookgDt`` / ``ValDt``: ``Dt`` or ``DtTm`` inside, or a bare date (always a leaf
        here: ``date_of`` on it reads its stripped text, which ``texts`` has)."""
        inside, inside_time, bare = _DATES[name]
        key = inside
        node = elements.get(key)
        if node is None:
            key = inside_time
            node = elements.get(key)
            if node is None:
                key = bare
                node = elements.get(key)
                if node is None:
                    return None
        text = texts[key]
        if text is None:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise self.values.error(f"not a date: {text!r}", node, f"{path}/{name}") from None

    def _status(self, element: etree._Element | None, code: str | None) -> LineStatus:
        """``Sts``: ``code`` is its stripped text (``None`` when blank)."""
        if element is None:
            return LineStatus.BOOKED
        if code is None:
            inner = self.values.kids(element)
            code = first_text(inner, "Cd") or first_text(inner, "Prtry")
        return _STATUS.get((code or "").upper(), LineStatus.INFO)

    def _detail_amount(
        self, tx: dict[str, etree._Element], currency: str, path: str
    ) -> tuple[Decimal, str] | None:
        v = self.values
        read = [
            v.amount(node, path, where)
            for where in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt")
            if (node := tx.get(where)) is not None
        ]
        for value, value_currency in read:
            if value_currency == currency:
                return value, value_currency
        return read[0] if read else None

    def _charges(self, elements: list[etree._Element], path: str) -> tuple[Decimal, str] | None:
        """Net charges borne (debit charges minus credited ones), in their currency.

        v02 repeats ``Chrgs`` (each one a charge); v03+ has one ``Chrgs`` with an optional
        ``TtlChrgsAndTaxAmt`` and ``Rcrd`` records.
        """
        if not elements:
            return None
        v = self.values
        records: list[tuple[Kids, str]] = []
        for n, element in enumerate(elements):
            kids = v.kids(element)
            total_node = first(kids, "TtlChrgsAndTaxAmt")
            if total_node is not None and len(elements) == 1:
                return v.amount(total_node, f"{path}/TtlChrgsAndTaxAmt")
            if "Rcrd" in kids:
                records += [
                    (v.kids(record), f"{path}/Rcrd[{r + 1}]")
                    for r, record in enumerate(kids["Rcrd"])
                ]
            else:
                records.append((kids, f"{path}[{n + 1}]" if len(elements) > 1 else path))
        total = Decimal(0)
        currency = ""
        for record_kids, where in records:
            node = first(record_kids, "Amt")
            if node is None:
                continue
            value, currency = v.amount(node, f"{where}/Amt")
            credit = v.credit(first(record_kids, "CdtDbtInd"), f"{where}/CdtDbtInd", default=False)
            total += -value if credit else value
        return (total, currency) if currency else None

    def _line(
        self,
        entry: _Entry,
        tx: Flat,
        tx_path: str,
        credit: bool,
        amount: Decimal,
        currency: str,
        fallback_ref: str | None,
        entry_amount: Decimal | None = None,
    ) -> BankLine:
        v = self.values
        batch = entry_amount is not None
        texts = tx.texts
        elements = tx.elements
        get = texts.get
        ours, theirs = _SIDES if credit != entry.reversal else _SIDES_SWAPPED
        name, account, ultimate, bic = _side(get, ours)
        if name is None and account is None and ultimate is None and bic is None:
            # some banks flag a reversal without swapping the indicator: take the other side,
            # unless it is the account holder itself
            other = _side(get, theirs)
            if other[1] is None or other[1] != self.own_account:
                name, account, ultimate, bic = other
        end_to_end = _ref(get("Refs/EndToEndId"))
        bank_ref = _ref(get("Refs/AcctSvcrRef")) or fallback_ref or end_to_end
        remittance = EMPTY
        if "RmtInf/Strd" in elements or (tx.more is not None and "RmtInf/Ustrd" in tx.more):
            remittance = read_remittance(v, tx.all("RmtInf/Ustrd"), tx.all("RmtInf/Strd"), tx_path)
        elif "RmtInf/Ustrd" in elements:  # one Ustrd, nothing structured: the usual
            remittance = Remittance(get("RmtInf/Ustrd") or "", (), ())
        amounts = tx
        if "AmtDtls/InstdAmt/Amt" not in elements and not batch:
            amounts = entry.kids  # a single transaction's amounts may sit on the entry
        extra = dict(entry.extra)
        instructed_amount = instructed_currency = None
        instructed_node = amounts.elements.get("AmtDtls/InstdAmt/Amt")
        if instructed_node is not None:
            instructed_amount, instructed_currency = v.amount(
                instructed_node, tx_path, "AmtDtls/InstdAmt/Amt"
            )
            rate = amounts.texts.get("AmtDtls/InstdAmt/CcyXchg/XchgRate")
            if rate:
                extra["exchange_rate"] = rate
        charges = None
        entry_elements = entry.kids.elements
        if "Chrgs" in elements:
            charges = self._charges(tx.all("Chrgs"), f"{tx_path}/Chrgs")
        elif not batch and "Chrgs" in entry_elements:
            charges = self._charges(entry.kids.all("Chrgs"), f"{_entry_path(tx_path)}/Chrgs")
        if charges is not None and charges[1] != currency:
            extra["charges_currency"] = charges[1]
        if batch and "Chrgs" in entry_elements:
            entry_charges = self._charges(entry.kids.all("Chrgs"), f"{_entry_path(tx_path)}/Chrgs")
            if entry_charges is not None:
                extra["entry_charges"] = f"{entry_charges[0]} {entry_charges[1]}"
        code = (
            _code(texts)
            if ("BkTxCd/Domn/Cd" in elements or "BkTxCd/Prtry/Cd" in elements)
            else entry.code
        )
        if code[1]:
            extra["bank_transaction_code_proprietary"] = code[1]
        for element_name, key in _REFERENCE_EXTRAS:
            if value := texts.get(element_name):
                extra[key] = value
        return_reason = texts.get("RtrInf/Rsn/Cd") or texts.get("RtrInf/Rsn/Prtry")
        if return_reason:
            extra["return_reason"] = return_reason
        if batch:
            extra["detail"] = tx_path.rsplit("[", 1)[-1].rstrip("]")
        return bank_line(
            bank_ref=bank_ref or "",
            entry=entry.position,
            amount=amount,
            currency=currency,
            booking_date=entry.booking,
            value_date=entry.valued,
            status=entry.status,
            reversal=entry.reversal,
            counterparty_name=name,
            counterparty_account=account,
            counterparty_bic=bic,
            ultimate_party=ultimate,
            end_to_end_id=end_to_end,
            mandate_id=texts.get("Refs/MndtId"),
            remittance_text=remittance.text,
            structured_references=remittance.references,
            referred_documents=remittance.documents,
            bank_transaction_code=code[0],
            instructed_amount=instructed_amount,
            instructed_currency=instructed_currency,
            charges=charges[0] if charges else None,
            entry_amount=entry_amount,
            additional_info=texts.get("AddtlTxInf") or entry.info,
            extra=extra,
        )


def _side(
    get: Callable[[str], str | None], keys: tuple[str, ...]
) -> tuple[str | None, str | None, str | None, str | None]:
    """(name, account, ultimate party, BIC) of the debtor or the creditor side, from a
    transaction's ``texts.get``."""
    nm, pty_nm, agt_nm, iban, othr, u_nm, u_pty_nm, u_agt_nm, bicfi, bic = keys
    return (
        get(nm) or get(pty_nm) or get(agt_nm),
        get(iban) or get(othr),
        get(u_nm) or get(u_pty_nm) or get(u_agt_nm),
        get(bicfi) or get(bic),
    )


def _entry_path(tx_path: str) -> str:
    """The ``Ntry`` part of a transaction detail's path."""
    return tx_path.split("/NtryDtls")[0]


def _code(texts: dict[str, str | None]) -> tuple[str | None, str | None]:
    """``BkTxCd``: (``Domn/Cd/Fmly/Cd/SubFmlyCd`` as ``A/B/C``, ``Prtry/Cd``)."""
    get = texts.get
    domain = get("BkTxCd/Domn/Cd")
    family = get("BkTxCd/Domn/Fmly/Cd")
    sub = get("BkTxCd/Domn/Fmly/SubFmlyCd")
    if domain and family and sub:
        iso: str | None = f"{domain}/{family}/{sub}"
    elif domain or family or sub:
        iso = "/".join(p for p in (domain, family, sub) if p)
    else:
        iso = None
    return iso, get("BkTxCd/Prtry/Cd")
