"""Check digits of every structured reference scheme: valid and invalid examples."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashapp.extractors.nlp import checkdigits as cd
from cashapp.extractors.nlp.structured import find_structured, normalize_structured


@pytest.mark.parametrize("ref", ["RF451234512345", "RF60ISO11649", "RF18539007547034"])
def test_rf_valid(ref: str) -> None:
    assert cd.is_valid_rf(ref)


@pytest.mark.parametrize("ref", ["RF461234512345", "RF451234512354", "RF45", "XX451234512345"])
def test_rf_invalid(ref: str) -> None:
    assert not cd.is_valid_rf(ref)


def test_make_rf_round_trip() -> None:
    assert cd.make_rf("1234512345") == "RF451234512345"
    assert cd.make_rf("ISO11649") == "RF60ISO11649"


def test_ogm() -> None:
    assert cd.make_ogm("0108068171") == "010806817183"
    assert cd.is_valid_ogm("010806817183")
    assert not cd.is_valid_ogm("010806817180")
    assert not cd.is_valid_ogm("01080681718")
    # mod 97 == 0 gives check digits 97
    base = "0000000097"
    assert cd.make_ogm(base).endswith("97")


def test_qrr() -> None:
    ref = cd.make_qrr("21000000000313947143000901")
    assert ref == "210000000003139471430009017"
    assert cd.is_valid_qrr(ref)
    assert not cd.is_valid_qrr(ref[:-1] + "8")
    assert not cd.is_valid_qrr(ref[:-1])


def test_finnish() -> None:
    assert cd.make_finnish("617435") == "6174354"
    assert cd.make_finnish("123123") == "1231234"
    assert cd.is_valid_finnish("6174354")
    assert cd.is_valid_finnish("0006174354")
    assert not cd.is_valid_finnish("6174355")
    assert not cd.is_valid_finnish("123")


def test_kid_mod10_and_mod11() -> None:
    assert cd.make_kid("1234") == "12344"
    assert cd.make_kid("1234", mod11=True) == "12343"
    assert cd.is_valid_kid("12344") and cd.is_valid_kid("12343")
    assert not cd.is_valid_kid("12345")


@given(st.text(alphabet="0123456789", min_size=3, max_size=18))
def test_every_scheme_detects_a_single_digit_change(base: str) -> None:
    ref = cd.make_finnish("1" + base)
    last = ref[-1]
    wrong = ref[:-1] + str((int(last) + 1) % 10)
    assert cd.is_valid_finnish(ref) and not cd.is_valid_finnish(wrong)
    rf = cd.make_rf(base)
    assert cd.is_valid_rf(rf)
    assert not cd.is_valid_rf(rf[:4] + str((int(rf[4]) + 1) % 10) + rf[5:])


def test_find_structured_in_text_with_separators() -> None:
    text = "Betaling +++010/8068/17183+++ en RF45 1234 5123 45, QR 21 00000 00003 13947 14300 09017"
    found = {(h.scheme, h.normalized, h.valid) for h in find_structured(text)}
    assert ("ogm", "010806817183", True) in found
    assert ("rf", "RF451234512345", True) in found
    assert ("qrr", "210000000003139471430009017", True) in found


def test_invalid_shape_is_reported_with_low_confidence() -> None:
    hits = find_structured("+++010/8068/17180+++")
    assert len(hits) == 1 and not hits[0].valid and hits[0].confidence < 0.5


def test_rf_followed_by_words_stops_at_the_valid_cut() -> None:
    hits = find_structured("RF45 1234 5123 45 INV 2024")
    assert hits[0].normalized == "RF451234512345"


def test_labelled_finnish_and_kid() -> None:
    hits = find_structured("Viitenumero: 61743 54, KID 12343")
    assert [(h.scheme, h.normalized, h.valid) for h in hits] == [
        ("fi", "6174354", True),
        ("kid", "12343", True),
    ]


def test_bare_finnish_is_not_read_unless_known() -> None:
    assert find_structured("Paid 6174354") == []
    hits = find_structured("Paid 6174354", known={"6174354"})
    assert hits[0].scheme == "fi" and hits[0].confidence >= 0.9


def test_normalize_structured() -> None:
    assert normalize_structured("RF45 1234 5123 45") == ("rf", "RF451234512345")
    assert normalize_structured("+++010/8068/17183+++") == ("ogm", "010806817183")
    assert normalize_structured("RF46 1234 5123 45") is None


def test_finnish_reference_in_its_rf_form() -> None:
    finnish = cd.make_finnish("1234561")
    rf = cd.make_rf(finnish)
    text = "Viite " + " ".join(rf[i:i + 4] for i in range(0, len(rf), 4))
    hits = find_structured(text)
    assert [(h.scheme, h.normalized, h.valid) for h in hits] == [("rf", rf, True)]
    assert rf[4:] == finnish


def test_qrr_cut_by_a_line_break_is_joined() -> None:
    hits = find_structured("QRR 21 00000 00003 139\n47 14300 09017 danke")
    assert [(h.scheme, h.normalized) for h in hits] == [("qrr", "210000000003139471430009017")]
    assert hits[0].end > hits[0].start
