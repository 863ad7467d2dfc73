"""The conformance suite: every real bank file in ``../shared/corpus`` read as its project says.

Runs when the corpus exists beside the repository (CI has it). Each file is read the way
``cashapp inspect`` reads it and compared with the facts in ``GROUND_TRUTH.json``; files
their projects call broken must be refused with our documented error, and nothing else may
ever be raised.
"""

from __future__ import annotations

import pytest
from fixtures.corpus_deviations import DEVIATIONS
from fixtures.corpus_facts import CORPUS, CorpusCase, check, load_cases

from cashapp.core.errors import InputError
from cashapp.domain.statements import StatementFile
from cashapp.extractors.inspect_json import remittance_file_json, statement_file_json
from cashapp.extractors.read import read_bytes

pytestmark = pytest.mark.corpus

CASES = load_cases()
if not CASES:
    pytest.skip(f"no corpus at {CORPUS}", allow_module_level=True)


def _param(case: CorpusCase) -> object:
    marks = []
    if case.path in DEVIATIONS:
        marks.append(pytest.mark.xfail(reason=DEVIATIONS[case.path], strict=True))
    return pytest.param(case, id=case.path, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_corpus_file_reads_as_its_project_says(case: CorpusCase) -> None:
    data = case.file.read_bytes()
    try:
        parsed = read_bytes(data, source=case.path)
    except InputError as error:
        assert case.path in str(error), "the error must name the file"
        if case.expect_error in ("format", "strict"):
            return
        pytest.fail(f"refused a file its project reads: {error}")
    if case.expect_error == "format":
        pytest.fail("read a file its project calls broken, without an error")
    read = (
        statement_file_json(parsed)
        if isinstance(parsed, StatementFile)
        else remittance_file_json(parsed)
    )
    problems = check(case, read)
    assert not problems, "\n".join(problems)
