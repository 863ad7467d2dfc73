"""Canonical name forms: letters without a Unicode decomposition fold as banks write them."""

from __future__ import annotations

import pytest

from cashapp.matcher.normalize import fold, name_key


@pytest.mark.parametrize(("written", "sent"), [
    ("Łukasz Marglo Logistics Oy", "LUKASZ MARGLO LOGISTICS OY"),  # OFX in CP1252, MT940
    ("Søren Ørsted ApS", "SOREN ORSTED APS"),
    ("Đorđević d.o.o.", "DORDEVIC D.O.O."),
    ("Œuvre Lætitia", "OEUVRE LAETITIA"),
    ("Müller GmbH", "MULLER GMBH"),
    ("Straße", "STRASSE"),
])
def test_a_transliterated_name_has_the_same_key(written: str, sent: str) -> None:
    assert name_key(written) == name_key(sent)


def test_fold_keeps_ascii_and_lowers() -> None:
    assert fold("ACME Ltd") == "acme ltd"
    assert fold("Łódź") == "lodz"
