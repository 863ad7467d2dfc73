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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from cashapp.domain.statements import BankLine, LineStatus
from cashapp.extractors.statements.camt_remittance import EMPTY, read_remittance
from cashapp.extractors.statements.camt_values import Kids, Values, first, first_text, text_of

PLACEHOLDERS = frozenset({"NOTPROVIDED", "NOT PROVIDED", "NONREF", "NONE", "N/A"})
_REFERENCE_EXTRAS = (
    ("InstrId", "instruction_id"),
    ("TxId", "transaction_id"),
    ("UETR", "uetr"),
    ("PmtInfId", "payment_information_id"),
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


@dataclass(frozen=True, slots=True)
class _Entry:
    """What every line of one entry shares."""

    kids: Kids
    index: int
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


class EntryReader:
    """Reads the entries of one file; ``values`` knows the namespace and the file name."""

    __slots__ = ("own_account", "values")

    def __init__(self, values: Values) -> None:
        self.values = values
        self.own_account: str | None = None  # the statement's account, never a counterparty

    def read(self, ntry: etree._Element, index: int, path: str) -> EntryResult:
        v = self.values
        kids = v.kids(ntry)
        amount_node = first(kids, "Amt")
        if amount_node is None:
            raise v.error("entry without Amt", ntry, path)
        magnitude, currency = v.amount(amount_node, f"{path}/Amt")
        credit = v.credit(first(kids, "CdtDbtInd"), f"{path}/CdtDbtInd", default=None)
        signed = magnitude if credit else -magnitude
        reversal = (first_text(kids, "RvslInd") or "").lower() in ("true", "1")
        status = self._status(first(kids, "Sts"))
        booking = v.date_of(first(kids, "BookgDt"), f"{path}/BookgDt")
        valued = v.date_of(first(kids, "ValDt"), f"{path}/ValDt")
        entry_ref = _ref(first_text(kids, "AcctSvcrRef"))
        entry_code = self._code(first(kids, "BkTxCd"))
        entry_info = first_text(kids, "AddtlNtryInf")

        details: list[tuple[etree._Element, str]] = []
        batch: Kids = {}
        holders = kids.get("NtryDtls") or [ntry]  # v01 keeps Btch/TxDtls under Ntry
        for h, holder in enumerate(holders):
            holder_kids = kids if holder is ntry else v.kids(holder)
            prefix = (
                path
                if holder is ntry
                else f"{path}/NtryDtls[{h + 1}]"
                if len(holders) > 1
                else f"{path}/NtryDtls"
            )
            if not batch:
                batch = v.kids(first(holder_kids, "Btch"))
            for d, tx in enumerate(holder_kids.get("TxDtls", [])):
                details.append((tx, f"{prefix}/TxDtls[{d + 1}]"))

        extra_entry: dict[str, str] = {}
        ntry_ref = first_text(kids, "NtryRef")
        if ntry_ref:
            extra_entry["entry_reference"] = ntry_ref
        if entry_ref:
            extra_entry["entry_bank_ref"] = entry_ref
        payment_info = first_text(batch, "PmtInfId")
        if payment_info:
            extra_entry["payment_information_id"] = payment_info
        batch_count = first_text(batch, "NbOfTxs")
        if batch_count:
            extra_entry["batch_transactions"] = batch_count
        if entry_code[1]:
            extra_entry["bank_transaction_code_proprietary"] = entry_code[1]
        entry = _Entry(
            kids, index, booking, valued, status, reversal, entry_code, entry_info, extra_entry
        )

        if len(details) <= 1:
            tx, tx_path = details[0] if details else (None, path)
            line = self._line(entry, tx, tx_path, credit, signed, currency, fallback_ref=entry_ref)
            return EntryResult([line], [])

        lines: list[BankLine] = []
        warnings: list[str] = []
        total = Decimal(0)
        checkable = True
        for d, (tx, tx_path) in enumerate(details):
            tx_kids = v.kids(tx)
            found = self._detail_amount(tx_kids, currency, tx_path)
            if found is None:
                warnings.append(
                    f"entry {index + 1}: transaction detail {d + 1} has no amount; "
                    "the batch is kept as one line"
                )
                line = self._line(
                    entry, None, path, credit, signed, currency, fallback_ref=entry_ref
                )
                return EntryResult([line], warnings)
            value, value_currency = found
            detail_credit = v.credit(
                first(tx_kids, "CdtDbtInd"), f"{tx_path}/CdtDbtInd", default=credit
            )
            amount = value if detail_credit else -value
            if value_currency == currency:
                total += amount
            else:
                checkable = False
            lines.append(
                self._line(
                    entry,
                    tx,
                    tx_path,
                    detail_credit,
                    amount,
                    value_currency,
                    fallback_ref=f"{entry_ref}/{d + 1}" if entry_ref else None,
                    tx_kids=tx_kids,
                    entry_amount=signed,
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

    def _status(self, element: etree._Element | None) -> LineStatus:
        if element is None:
            return LineStatus.BOOKED
        code = text_of(element)
        if code is None:
            inner = self.values.kids(element)
            code = first_text(inner, "Cd") or first_text(inner, "Prtry")
        return _STATUS.get((code or "").upper(), LineStatus.INFO)

    def _detail_amount(self, tx: Kids, currency: str, path: str) -> tuple[Decimal, str] | None:
        v = self.values
        candidates: list[tuple[etree._Element, str]] = []
        node = first(tx, "Amt")
        if node is not None:
            candidates.append((node, f"{path}/Amt"))
        details = v.kids(first(tx, "AmtDtls"))
        for name in ("TxAmt", "CntrValAmt"):
            inner = first(v.kids(first(details, name)), "Amt")
            if inner is not None:
                candidates.append((inner, f"{path}/AmtDtls/{name}/Amt"))
        read = [v.amount(element, where) for element, where in candidates]
        for value, value_currency in read:
            if value_currency == currency:
                return value, value_currency
        return read[0] if read else None

    def _code(self, element: etree._Element | None) -> tuple[str | None, str | None]:
        """``BkTxCd``: (``Domn/Cd/Fmly/Cd/SubFmlyCd`` as ``A/B/C``, ``Prtry/Cd``)."""
        if element is None:
            return None, None
        v = self.values
        kids = v.kids(element)
        domain = v.kids(first(kids, "Domn"))
        family = v.kids(first(domain, "Fmly"))
        parts = [
            first_text(domain, "Cd"),
            first_text(family, "Cd"),
            first_text(family, "SubFmlyCd"),
        ]
        iso = "/".join(p for p in parts if p) or None
        proprietary = first_text(v.kids(first(kids, "Prtry")), "Cd")
        return iso, proprietary

    def _party(self, element: etree._Element | None) -> str | None:
        """A party's name: ``Nm`` (v02-v07) or ``Pty/Nm`` / ``Agt/FinInstnId/Nm`` (v08+)."""
        if element is None:
            return None
        v = self.values
        kids = v.kids(element)
        name = first_text(kids, "Nm")
        if name is None and "Pty" in kids:
            name = first_text(v.kids(kids["Pty"][0]), "Nm")
        if name is None and "Agt" in kids:
            name = first_text(v.kids(first(v.kids(kids["Agt"][0]), "FinInstnId")), "Nm")
        return name

    def _account(self, element: etree._Element | None) -> str | None:
        """``...Acct/Id/IBAN`` or ``...Acct/Id/Othr/Id``."""
        if element is None:
            return None
        v = self.values
        ident = v.kids(first(v.kids(element), "Id"))
        return first_text(ident, "IBAN") or first_text(v.kids(first(ident, "Othr")), "Id")

    def _bic(self, element: etree._Element | None) -> str | None:
        if element is None:
            return None
        v = self.values
        institution = v.kids(first(v.kids(element), "FinInstnId"))
        return first_text(institution, "BICFI") or first_text(institution, "BIC")

    def _side(
        self, parties: Kids, agents: Kids, names: tuple[str, str, str, str]
    ) -> tuple[str | None, str | None, str | None, str | None]:
        party, account, ultimate, agent = names
        return (
            self._party(first(parties, party)),
            self._account(first(parties, account)),
            self._party(first(parties, ultimate)),
            self._bic(first(agents, agent)),
        )

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
        tx: etree._Element | None,
        tx_path: str,
        credit: bool,
        amount: Decimal,
        currency: str,
        *,
        fallback_ref: str | None,
        tx_kids: Kids | None = None,
        entry_amount: Decimal | None = None,
    ) -> BankLine:
        batch = entry_amount is not None
        v = self.values
        tx_kids = tx_kids if tx_kids is not None else v.kids(tx)
        refs = v.kids(first(tx_kids, "Refs"))
        parties = v.kids(first(tx_kids, "RltdPties"))
        agents = v.kids(first(tx_kids, "RltdAgts"))
        original_credit = credit != entry.reversal
        sides = (
            ("Dbtr", "DbtrAcct", "UltmtDbtr", "DbtrAgt"),
            ("Cdtr", "CdtrAcct", "UltmtCdtr", "CdtrAgt"),
        )
        ours, theirs = sides if original_credit else sides[::-1]
        name, account, ultimate, bic = self._side(parties, agents, ours)
        if name is None and account is None and ultimate is None and bic is None:
            # some banks flag a reversal without swapping the indicator: take the other side,
            # unless it is the account holder itself
            other = self._side(parties, agents, theirs)
            if other[1] is None or other[1] != self.own_account:
                name, account, ultimate, bic = other
        end_to_end = _ref(first_text(refs, "EndToEndId"))
        bank_ref = _ref(first_text(refs, "AcctSvcrRef")) or fallback_ref or end_to_end
        remittance = (
            read_remittance(v, first(tx_kids, "RmtInf"), f"{tx_path}/RmtInf") if tx_kids else EMPTY
        )

        amounts = v.kids(first(tx_kids, "AmtDtls"))
        if not amounts and not batch:
            amounts = v.kids(first(entry.kids, "AmtDtls"))
        instructed = v.kids(first(amounts, "InstdAmt"))
        instructed_node = first(instructed, "Amt")
        instructed_amount = instructed_currency = None
        extra = dict(entry.extra)
        if instructed_node is not None:
            instructed_amount, instructed_currency = v.amount(
                instructed_node, f"{tx_path}/AmtDtls/InstdAmt/Amt"
            )
            rate = first_text(v.kids(first(instructed, "CcyXchg")), "XchgRate")
            if rate:
                extra["exchange_rate"] = rate
        charges_nodes = tx_kids.get("Chrgs", [])
        charges_path = f"{tx_path}/Chrgs"
        if not charges_nodes and not batch:
            charges_nodes = entry.kids.get("Chrgs", [])
            charges_path = f"{tx_path.split('/NtryDtls')[0]}/Chrgs"
        charges = self._charges(charges_nodes, charges_path)
        if batch and "Chrgs" in entry.kids:
            entry_charges = self._charges(
                entry.kids["Chrgs"], f"{tx_path.split('/NtryDtls')[0]}/Chrgs"
            )
            if entry_charges is not None:
                extra["entry_charges"] = f"{entry_charges[0]} {entry_charges[1]}"
        if charges is not None and charges[1] != currency:
            extra["charges_currency"] = charges[1]

        code = self._code(first(tx_kids, "BkTxCd")) if "BkTxCd" in tx_kids else entry.code
        if code[1]:
            extra["bank_transaction_code_proprietary"] = code[1]
        for name_, key in (
            ("InstrId", "instruction_id"),
            ("TxId", "transaction_id"),
            ("UETR", "uetr"),
            ("PmtInfId", "payment_information_id"),
        ):
            value = first_text(refs, name_)
            if value:
                extra[key] = value
        return_info = v.kids(first(tx_kids, "RtrInf"))
        if return_info:
            reason = v.kids(first(return_info, "Rsn"))
            code_text = first_text(reason, "Cd") or first_text(reason, "Prtry")
            if code_text:
                extra["return_reason"] = code_text
        if batch:
            extra["detail"] = tx_path.rsplit("[", 1)[-1].rstrip("]")
        return BankLine(
            bank_ref=bank_ref or "",
            amount=amount,
            currency=currency,
            counterparty_name=name,
            counterparty_account=account,
            counterparty_bic=bic,
            ultimate_party=ultimate,
            end_to_end_id=end_to_end,
            mandate_id=first_text(refs, "MndtId"),
            remittance_text=remittance.text,
            structured_references=remittance.references,
            referred_documents=remittance.documents,
            bank_transaction_code=code[0],
            instructed_amount=instructed_amount,
            instructed_currency=instructed_currency,
            charges=charges[0] if charges else None,
            entry_amount=entry_amount,
            additional_info=first_text(tx_kids, "AddtlTxInf") or entry.info,
            extra=extra,
            entry=entry.index,
            booking_date=entry.booking,
            value_date=entry.valued,
            status=entry.status,
            reversal=entry.reversal,
        )
