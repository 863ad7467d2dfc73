"""The generated evaluation sets stay read exactly (the regression guard of bench_remittance)."""

from __future__ import annotations

import pytest
from fixtures.remittance.evaluate import Score, score_advice
from fixtures.remittance.generate import build_advices, render

from cashapp.extractors.inspect_json import remittance_file_json
from cashapp.extractors.read import read_bytes

_PDF_KINDS = {"pdf", "eml_pdf"}


def _score(*, variant: bool, pdf: bool) -> Score:
    score = Score()
    for advice in build_advices(variant=variant):
        if (advice.kind in _PDF_KINDS) != pdf:
            continue
        data, extension, expected = render(advice)
        parsed = read_bytes(data, source=f"{advice.case_id}.{extension}")
        remittances = remittance_file_json(parsed)["remittances"]  # type: ignore[arg-type]
        score_advice(score, expected.truth(), remittances[0] if remittances else None)
    return score


@pytest.mark.parametrize(
    "variant", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["evaluation", "variant"]
)
def test_every_line_of_the_non_pdf_advices_is_exact(variant: bool) -> None:
    score = _score(variant=variant, pdf=False)
    assert score.advices >= 100
    assert score.misses == []


@pytest.mark.slow
@pytest.mark.parametrize("variant", [False, True], ids=["evaluation", "variant"])
def test_every_line_of_the_pdf_advices_is_exact(variant: bool) -> None:
    score = _score(variant=variant, pdf=True)
    assert score.advices == 22
    assert score.misses == []
