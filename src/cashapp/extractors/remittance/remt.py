"""ISO 20022 remt.001 (RemittanceAdvice): one remittance per ``RmtInf``.

Parsed like camt: ``defusedxml`` with ``forbid_dtd=True`` (an ISO 20022 message never has a
DOCTYPE, so none is accepted: no entities, no external fetch). Namespaces are ignored, so
every remt.001 version reads the same.

- ``RmtInf/OrgnlPmtInf``: ``Refs/EndToEndId`` (else ``InstrId``, ``PmtInfId``, ``RmtId``) is
  the payment identifier; ``Amt/InstdAmt`` the total; ``ReqdExctnDt`` the date; ``Dbtr/Nm``
  the payer, ``DbtrAcct/Id`` its account, ``Dbtr/CtctDtls/EmailAdr`` its email domain.
- each ``Strd`` gives lines: ``RfrdDocInf/Nb`` (else ``CdtrRefInf/Ref``) as written and its
  ``Tp`` code; ``RfrdDocAmt``: ``DuePyblAmt`` gross, ``DscntApldAmt`` discount,
  ``AdjstmntAmtAndRsn`` deductions (``CdtDbtInd`` CRDT adds to the payment, otherwise the
  amount was taken off) with ``Rsn`` mapped by ``reason_from_iso20022`` and ``AddtlInf`` as
  text, ``CdtNoteAmt`` a credit note taken, ``RmtdAmt`` what was paid.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.money import AmountError, parse_amount
from cashapp.domain.reasons import ReasonCode, reason_from_iso20022
from cashapp.domain.remittances import Remittance, RemittanceFile, RemittanceLine
from cashapp.extractors.remittance.totals import checked

name = "remt.001"

_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:(remt\.001\.\d{3}\.\d{2})")


def identify(head: bytes) -> bool:
    """An XML document in a remt.001 namespace, or with a ``RmtAdvc`` root child."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return False
    return _NAMESPACE.search(head) is not None or b"<RmtAdvc" in head


def _find(element: Element | None, path: str) -> Element | None:
    if element is None:
        return None
    return element.find("/".join(f"{{*}}{step}" for step in path.split("/")))


def _findall(element: Element, path: str) -> list[Element]:
    return element.findall("/".join(f"{{*}}{step}" for step in path.split("/")))


def _text(element: Element | None, path: str) -> str | None:
    found = _find(element, path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.currency: str | None = None

    def amount(self, element: Element | None, where: str) -> Decimal | None:
        if element is None or element.text is None:
            return None
        currency = element.get("Ccy")
        if currency and self.currency is None:
            self.currency = currency
        try:
            return parse_amount(element.text)
        except AmountError as exc:
            raise RemittanceParseError(str(exc), file=self.source, element=where) from exc

    def line(self, strd: Element, where: str) -> list[RemittanceLine]:
        numbers: list[tuple[str, str | None]] = []
        for doc in _findall(strd, "RfrdDocInf"):
            number = _text(doc, "Nb")
            if number:
                kind = _text(doc, "Tp/CdOrPrtry/Cd") or _text(doc, "Tp/CdOrPrtry/Prtry")
                numbers.append((number, kind))
        if not numbers:
            creditor_reference = _text(strd, "CdtrRefInf/Ref")
            if creditor_reference is None:
                return []
            numbers = [(creditor_reference, _text(strd, "CdtrRefInf/Tp/CdOrPrtry/Cd"))]
        amounts = _find(strd, "RfrdDocAmt")
        gross = self.amount(_find(amounts, "DuePyblAmt"), f"{where}/RfrdDocAmt/DuePyblAmt")
        paid = self.amount(_find(amounts, "RmtdAmt"), f"{where}/RfrdDocAmt/RmtdAmt")
        discount = None
        deduction = None
        reason_code: ReasonCode | None = None
        texts: list[str] = []
        if amounts is not None:
            for index, element in enumerate(_findall(amounts, "DscntApldAmt"), start=1):
                value = self.amount(_find(element, "Amt"), f"{where}/DscntApldAmt[{index}]/Amt")
                discount = (discount or Decimal(0)) + (value or Decimal(0))
            credit_note = self.amount(_find(amounts, "CdtNoteAmt"), f"{where}/CdtNoteAmt")
            if credit_note and gross is None and paid is None:
                paid = -credit_note  # a credit note taken against the payment
            elif credit_note:
                deduction = credit_note
                texts.append("credit note")
            for index, element in enumerate(_findall(amounts, "AdjstmntAmtAndRsn"), start=1):
                here = f"{where}/AdjstmntAmtAndRsn[{index}]"
                value = self.amount(_find(element, "Amt"), f"{here}/Amt") or Decimal(0)
                if _text(element, "CdtDbtInd") == "CRDT":
                    value = -value
                deduction = (deduction or Decimal(0)) + value
                code = _text(element, "Rsn")
                mapped = reason_from_iso20022(code) or (ReasonCode.OTHER if code else None)
                reason_code = reason_code or mapped
                texts.extend(t for t in (_text(element, "AddtlInf") or code,) if t)
        lines = []
        for position, (number, kind) in enumerate(numbers):
            if position == 0:
                lines.append(
                    RemittanceLine(
                        reference=number,
                        document_type=kind,
                        gross=gross,
                        discount=discount,
                        deduction=deduction,
                        reason_code=reason_code,
                        reason_text="; ".join(texts) or None,
                        paid=paid,
                    )
                )
            else:  # several documents share one RfrdDocAmt: the amounts sit on the first
                lines.append(RemittanceLine(reference=number, document_type=kind, paid=Decimal(0)))
        return lines

    def remittance(self, rmt: Element, where: str) -> Remittance:
        self.currency = None
        original = _find(rmt, "OrgnlPmtInf")
        payment_id = None
        for path in ("Refs/EndToEndId", "Refs/InstrId", "Refs/PmtInfId", "Refs/TxId"):
            value = _text(original, path)
            if value and value.upper() != "NOTPROVIDED":
                payment_id = value
                break
        payment_id = payment_id or _text(rmt, "RmtId")
        total = self.amount(_find(original, "Amt/InstdAmt"), f"{where}/OrgnlPmtInf/Amt/InstdAmt")
        if total is None:
            total = self.amount(
                _find(original, "Amt/EqvtAmt/Amt"), f"{where}/OrgnlPmtInf/Amt/EqvtAmt/Amt"
            )
        lines: list[RemittanceLine] = []
        for index, strd in enumerate(_findall(rmt, "Strd"), start=1):
            lines.extend(self.line(strd, f"{where}/Strd[{index}]"))
        email = _text(original, "Dbtr/CtctDtls/EmailAdr")
        account = _text(original, "DbtrAcct/Id/IBAN") or _text(original, "DbtrAcct/Id/Othr/Id")
        when = _iso_date(
            _text(original, "ReqdExctnDt/Dt")
            or _text(original, "ReqdExctnDt/DtTm")
            or _text(original, "ReqdExctnDt")
            or _text(original, "ReqdColltnDt"),
            self.source,
            where,
        )
        return checked(
            Remittance(
                format=name,
                payer=_text(original, "Dbtr/Nm") or _text(original, "UltmtDbtr/Nm"),
                payer_email_domain=email.rpartition("@")[2].lower()
                if email and "@" in email
                else None,
                payer_account=account,
                payment_id=payment_id,
                date=when,
                currency=self.currency,
                total=total,
                lines=tuple(lines),
                source=where,
            )
        )


def _iso_date(text: str | None, source: str, where: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise RemittanceParseError(
            f"not an ISO date: {text!r}", file=source, element=f"{where}/ReqdExctnDt"
        ) from exc


def extract(data: bytes, *, source: str) -> RemittanceFile:
    """Every ``RmtInf`` of the advice as a canonical remittance."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise RemittanceParseError(
            f"unsafe XML refused ({type(exc).__name__})", file=source
        ) from exc
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise RemittanceParseError(f"malformed XML: {exc}", file=source, line=line) from exc
    advice = root if root.tag.endswith("RmtAdvc") else _find(root, "RmtAdvc")
    if advice is None:
        raise RemittanceParseError("no RmtAdvc element: not a remt.001", file=source)
    match = _NAMESPACE.search(data[:4096])
    version = match.group(1).decode() if match else name
    reader = _Reader(source)
    remittances = [
        reader.remittance(rmt, f"RmtInf[{index}]")
        for index, rmt in enumerate(_findall(advice, "RmtInf"), start=1)
    ]
    return RemittanceFile(format=version, remittances=remittances)
