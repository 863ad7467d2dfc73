"""Property tests: whatever bytes arrive, a reader returns remittances or raises InputError."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.core.errors import InputError
from cashapp.extractors.remittance import email, remt, tables, x12_820

_PIECES = st.sampled_from(
    [
        "Invoice;Amount\n",
        "INV-1;1.234,56\n",
        "Total;9\n",
        ";;\n",
        '"a;b";1\n',
        "Rechnung\tBetrag\n",
        "From: a@b.c\n",
        "Content-Type: multipart/mixed; boundary=x\n",
        "--x\n",
        "--x--\n",
        "ISA*00*          *00*          *ZZ*A              *ZZ*B              "
        "*251105*1030*U*00401*1*0*P*>~",
        "ST*820*1~",
        "BPR*C*1.00*C~",
        "RMR*IV*A*PI*1.00~",
        "ADX*-1*04~",
        "SE*2*1~",
        "<RmtAdvc>",
        "<RmtInf><Strd><RfrdDocInf><Nb>1</Nb></RfrdDocInf></Strd></RmtInf>",
        "</RmtAdvc>",
        "\x00",
        "é",
    ]
)
_DOCUMENTS = st.lists(_PIECES, max_size=25).map("".join).map(lambda s: s.encode("utf-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_text_readers_fail_only_with_input_errors(data: bytes) -> None:
    for reader in (tables, x12_820, email):
        with contextlib.suppress(InputError):
            reader.extract(data, source="fuzz")


@settings(max_examples=100, deadline=None)
@given(_DOCUMENTS)
def test_remt_fails_only_with_input_errors(data: bytes) -> None:
    with contextlib.suppress(InputError):
        remt.extract(b"<Document>" + data + b"</Document>", source="fuzz")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    for reader in (tables, x12_820, email, remt):
        with contextlib.suppress(InputError):
            reader.extract(data, source="fuzz")
