"""The camt files of ../shared/corpus against GROUND_TRUTH.json (the conformance suite on main
checks them through ``read_bytes`` too; this one knows camt's entries and details).

Per file: the documented error where one is expected, else the statement count, per-statement
account, currency, balances, opening date and entry counts, and the sampled transactions
(``transactions_sample`` indexes ``Ntry`` entries across the file, ``tx_details_sample``
bank lines). Known deviations are listed with their reason.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cashapp.core.errors import InputError
from cashapp.domain.statements import BankLine, StatementFile
from cashapp.extractors.read import read_bytes

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
TRUTH = json.loads((CORPUS / "GROUND_TRUTH.json").read_text()) if CORPUS.exists() else {}
CAMT = sorted(key for key in TRUTH if key.startswith("camt/"))

# file -> {check: reason}; a listed check is skipped for that file, the rest still apply
DEVIATIONS: dict[str, dict[str, str]] = {
    "camt/railslove-camt-parser__invalid_namespace.xml": {
        "expect_error": "parser-specific: railslove rejects camt.053.001.03 as unsupported; we "
        "read every version, so the empty Document reads as zero statements",
    },
    "camt/oca-bank-statement-import__test-camt053-no-ntry": {
        "statements": "OCA drops a statement without entries; it is in the file (counted 1), "
        "with its balances, so we keep it",
    },
    "camt/svapnil-iso20022js__ing_example_camt.xml": {
        "opening_date": "the asserted date is the first Bal (PRCD, 2014-01-02); our opening "
        "date is that of the opening balance used, OPBD (2014-01-03)",
    },
    "camt/kedder-ofxstatement-iso20022__camt052.xml": {
        "ref": "'NONREF' is the bank's placeholder for no reference; it is not a bank_ref "
        "(five lines would share it), so the lines get derived keys",
    },
    "camt/oca-bank-statement-import__test-camt054": {
        "text": "the asserted text is Refs/InstrId, which OCA puts into the narration; we keep "
        "it as extra['instruction_id'], not as remittance text",
    },
}

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not beside the clone"),
]


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def _entries(parsed: StatementFile) -> list[list[BankLine]]:
    groups: list[list[BankLine]] = []
    for statement in parsed.statements:
        by_entry: dict[int, list[BankLine]] = {}
        for line in statement.lines:
            by_entry.setdefault(line.entry, []).append(line)
        groups += [by_entry[k] for k in sorted(by_entry)]
    return groups


def _check_sample(
    sample: dict[str, Any], group: list[BankLine], entry: bool, skip: dict[str, str]
) -> list[str]:
    line = group[0]
    problems = []
    amount = line.entry_amount if entry and line.entry_amount is not None else line.amount
    if "amount" in sample and amount != Decimal(sample["amount"]):
        problems.append(f"amount {amount} != {sample['amount']}")
    for key in ("booking_date", "value_date", "currency"):
        if key in sample and str(getattr(line, key)) != sample[key]:
            problems.append(f"{key} {getattr(line, key)} != {sample[key]}")
    if "counterparty_contains" in sample:
        names = _squash(
            " ".join(n for x in group for n in (x.counterparty_name, x.ultimate_party) if n)
        )
        if _squash(sample["counterparty_contains"]) not in names:
            problems.append(f"counterparty {names!r} lacks {sample['counterparty_contains']!r}")
    if "text_contains" in sample and "text" not in skip:
        text = _squash(
            " ".join(t for x in group for t in (x.remittance_text, x.additional_info) if t)
        )
        if _squash(sample["text_contains"]) not in text:
            problems.append(f"text {text!r} lacks {sample['text_contains']!r}")
    if "ref" in sample and "ref" not in skip:
        refs = {
            r for x in group for r in (x.bank_ref, x.end_to_end_id, x.extra.get("entry_reference"))
        }
        if sample["ref"] not in refs:
            problems.append(f"ref {sample['ref']!r} not in {refs}")
    return problems


@pytest.mark.parametrize("key", CAMT)
def test_camt_corpus_file(key: str) -> None:
    truth = TRUTH[key]
    skip = DEVIATIONS.get(key, {})
    data = (CORPUS / key).read_bytes()
    try:
        parsed = read_bytes(data, source=key)
    except InputError as error:
        assert truth.get("expect_error"), f"unexpected error: {error}"
        assert error.file == key
        return
    if truth.get("expect_error") and "expect_error" not in skip:
        pytest.fail("read a file its project calls broken")
    assert isinstance(parsed, StatementFile)
    problems: list[str] = []
    statements = parsed.statements
    if (
        "statements" in truth
        and "statements" not in skip
        and truth["statements"] != len(statements)
    ):
        problems.append(f"statements {len(statements)} != {truth['statements']}")
    groups = _entries(parsed)
    if "transactions" in truth and truth["transactions"] != len(groups):
        problems.append(f"entries {len(groups)} != {truth['transactions']}")
    for expected in truth.get("per_statement", []):
        statement = statements[expected["index"]]
        for field in ("account", "currency", "opening_balance", "closing_balance", "opening_date"):
            if field in expected and field not in skip:
                got = getattr(statement, field)
                want = expected[field]
                same = got == Decimal(want) if isinstance(got, Decimal) else str(got) == str(want)
                if not same:
                    problems.append(f"statement {expected['index']} {field} {got} != {want}")
        if "transactions" in expected:
            count = len({line.entry for line in statement.lines})
            if count != expected["transactions"]:
                problems.append(f"statement {expected['index']} entries {count}")
    for sample in truth.get("transactions_sample", []):
        problems += _check_sample(sample, groups[sample["index"]], True, skip)
    lines = [[line] for statement in statements for line in statement.lines]
    for sample in truth.get("tx_details_sample", []):
        problems += _check_sample(sample, lines[sample["index"]], False, skip)
    assert not problems, problems


def test_every_deviation_is_still_needed() -> None:
    assert set(DEVIATIONS) <= set(CAMT)
