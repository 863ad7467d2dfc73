"""A random mutation fuzzer over the CFONB120, CODA and BAI2 readers (marked slow).

Mutates the golden files and, when present, the corpus samples of the three formats: byte
replacements biased to the characters these formats give meaning to, deletions, insertions,
cuts and duplicated records, several per file. Every result must be a read file or
``StatementParseError``; nothing may take more than half a second.
"""

from __future__ import annotations

import contextlib
import random
import time

import pytest
from tests.extractors.statements.record_checks import CORPUS, FIXTURES

from cashapp.core.errors import StatementParseError
from cashapp.extractors.statements import bai2, cfonb, coda

pytestmark = pytest.mark.slow

MEANINGFUL = b"0123456789 ,/{}AJR\n\r-+VSDZ"
SAMPLES = {
    cfonb: [*FIXTURES.glob("cfonb/*.txt"), *CORPUS.glob("cfonb/*")],
    coda: [*FIXTURES.glob("coda/*.cod"), *CORPUS.glob("coda/*")],
    bai2: [*FIXTURES.glob("bai2/*.bai2"), *CORPUS.glob("bai2/*")],
}


def _mutated(rnd: random.Random, data: bytes) -> bytes:
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randrange(len(data)) if data else 0
        payload = bytes(
            rnd.choice([rnd.randrange(256), rnd.choice(MEANINGFUL)])
            for _ in range(rnd.randint(1, 6))
        )
        action = rnd.randrange(5)
        if action == 0:
            data = data[:at] + payload[:1] + data[at + 1 :]
        elif action == 1:
            data = data[:at] + data[at + len(payload) :]
        elif action == 2:
            data = data[:at] + payload + data[at:]
        elif action == 3:
            data = data[:at]
        else:
            records = data.split(b"\n")
            records.insert(rnd.randrange(len(records)), rnd.choice(records))
            data = b"\n".join(records)
    return data


@pytest.mark.parametrize("reader", [cfonb, coda, bai2], ids=lambda m: m.name)
def test_random_mutations_give_lines_or_the_documented_error(reader: object) -> None:
    rnd = random.Random(20261122)
    samples = [p.read_bytes() for p in SAMPLES[reader]]  # type: ignore[index]
    deadline = time.perf_counter() + 10
    runs = 0
    while time.perf_counter() < deadline:
        data = _mutated(rnd, rnd.choice(samples))
        started = time.perf_counter()
        with contextlib.suppress(StatementParseError):
            reader.extract(data, source="fuzz")  # type: ignore[attr-defined]
        assert time.perf_counter() - started < 0.5
        runs += 1
    assert runs > 500
