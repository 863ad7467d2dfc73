"""X12 820 separators and structure errors; remt.001 hardening and element-named errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.reasons import ReasonCode, reason_from_x12
from cashapp.extractors.remittance import remt, x12_820

ISA = (
    "ISA{e}00{e}          {e}00{e}          {e}ZZ{e}PAYER          {e}ZZ{e}SELLER         "
    "{e}251105{e}1030{e}U{e}00401{e}000000001{e}0{e}P{e}>"
)


def _interchange(element: str, terminator: str, body: list[str]) -> bytes:
    segments = [ISA.format(e=element), *[s.replace("*", element) for s in body]]
    return (terminator.join(segments) + terminator).encode()


BODY = [
    "GS*RA*P*S*20251105*1030*1*X*004010",
    "ST*820*0001",
    "BPR*C*150.00*C*ACH*CTX*01*1*DA*2*3**01*4*DA*5*20251105",
    "TRN*1*TRACE12345",
    "N1*PR*ACME INC",
    "ENT*1",
    "RMR*IV*INV-1*PI*100.00*110.00**01*10.00",
    "RMR*IV*INV-2*PI*50.00",
    "SE*8*0001",
    "GE*1*1",
    "IEA*1*000000001",
]


@pytest.mark.parametrize(("element", "terminator"), [("*", "~"), ("|", "\n"), ("^", "'\r\n")])
def test_separators_come_from_the_isa_header(element: str, terminator: str) -> None:
    data = _interchange(element, terminator, BODY)
    assert x12_820.identify(data)
    remittance = x12_820.extract(data, source="s.edi").remittances[0]
    assert remittance.payment_id == "TRACE12345"
    assert remittance.total == Decimal("150.00")
    assert remittance.lines[0].deduction == Decimal("-10.00")  # RMR08 +10 adds to the payment


def test_rmr_adjustment_code_is_mapped() -> None:
    line = x12_820.extract(_interchange("*", "~", BODY), source="s").remittances[0].lines[0]
    assert line.reason_code is ReasonCode.PRICING


def test_x12_reason_codes_follow_element_426() -> None:
    assert reason_from_x12("04") is ReasonCode.DAMAGED
    assert reason_from_x12("19") is ReasonCode.DUPLICATE
    assert reason_from_x12("54") is ReasonCode.FREIGHT
    assert reason_from_x12("55") is ReasonCode.TAX
    assert reason_from_x12("99") is None


def test_missing_se_is_an_error() -> None:
    body = [s for s in BODY if not s.startswith("SE")]
    with pytest.raises(RemittanceParseError, match="no SE"):
        x12_820.extract(_interchange("*", "~", body), source="t.edi")


def test_other_transaction_sets_are_refused_with_their_segment() -> None:
    body = [s.replace("ST*820", "ST*810") for s in BODY]
    with pytest.raises(RemittanceParseError) as caught:
        x12_820.extract(_interchange("*", "~", body), source="t.edi")
    assert str(caught.value) == "t.edi: segment 3 ST01: transaction set '810' is not an 820"


REMT = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:remt.001.001.05"><RmtAdvc>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-11-05T10:00:00</CreDtTm></GrpHdr>
<RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf>
<RfrdDocAmt><RmtdAmt Ccy="EUR">{amount}</RmtdAmt></RfrdDocAmt></Strd>
<OrgnlPmtInf><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></OrgnlPmtInf>
<RmtId>R-1</RmtId></RmtInf></RmtAdvc></Document>"""


def test_remt_version_and_notprovided_end_to_end_id() -> None:
    parsed = remt.extract(REMT.format(amount="10.00").encode(), source="r.xml")
    assert parsed.format == "remt.001.001.05"
    assert parsed.remittances[0].payment_id == "R-1"


def test_remt_bad_amount_names_the_element() -> None:
    with pytest.raises(RemittanceParseError) as caught:
        remt.extract(REMT.format(amount="1,0").encode(), source="r.xml")
    assert str(caught.value) == (
        "r.xml: RmtInf[1]/Strd[1]/RfrdDocAmt/RmtdAmt: not a decimal amount: '1,0'"
    )


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE d SYSTEM "http://127.0.0.1:9999/x.dtd">',
    ],
)
def test_remt_refuses_any_dtd(prolog: str) -> None:
    data = (
        '<?xml version="1.0"?>' + prolog + REMT.format(amount="1.00").split("?>", 1)[1]
    ).encode()
    with pytest.raises(RemittanceParseError, match="unsafe XML refused"):
        remt.extract(data, source="evil.xml")


def test_remt_malformed_xml_names_the_line() -> None:
    with pytest.raises(RemittanceParseError, match=r"bad.xml:2: malformed XML"):
        remt.extract(b"<Document>\n<RmtAdvc></Document>", source="bad.xml")
