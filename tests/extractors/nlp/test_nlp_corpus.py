"""Conformance against the real bank files of /work/shared/corpus (read, never copied): the
structured references their camt files carry are recognised in text, and nothing in their
remittance texts crashes the extractor or is mistaken for a reference when it is an IBAN."""

import re
from pathlib import Path

import pytest
from stdnum import iban

from cashapp.extractors.nlp.api import find_reason, find_references
from cashapp.extractors.nlp.structured import find_structured, normalize_structured

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present"),
]


def _files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")


def _creditor_refs() -> list[str]:
    refs = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        refs += re.findall(r"<CdtrRefInf>.*?<Ref>([^<]+)</Ref>", text, re.S)
    return refs


def _remittance_texts() -> list[str]:
    texts: set[str] = set()
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        texts |= set(re.findall(r"<Ustrd>([^<]*)</Ustrd>", text))
        fields = re.findall(r":86:(.*?)(?=\r?\n:6|\r?\n-)", text, re.S)
        texts |= {m.replace("\r", "") for m in fields}
    return sorted(texts)


def test_corpus_creditor_references_are_found_in_text() -> None:
    refs = _creditor_refs()
    assert refs
    recognised = 0
    for ref in refs:
        known = normalize_structured(ref)
        if known is None or known[0] in ("fi", "kid"):
            continue  # bare Finnish/KID digits are only read when labelled or known
        recognised += 1
        hits = find_structured(f"Payment {ref.strip()} thank you")
        assert [(h.scheme, h.normalized) for h in hits if h.valid] == [known], ref
    assert recognised >= 20


def test_corpus_texts_are_read_without_error_and_no_iban_is_a_reference() -> None:
    texts = _remittance_texts()
    assert len(texts) > 500
    for text in texts:
        for cand in find_references(text):
            assert cand.start is not None and cand.end is not None
            assert 0 <= cand.start < cand.end <= len(text)
            assert not (len(cand.normalized) >= 15 and iban.is_valid(cand.normalized)), text
        find_reason(text)
