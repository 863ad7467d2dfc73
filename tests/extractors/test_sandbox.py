"""The sandbox: untrusted files read in a limited child process; every failure is an InputError.

The ``bomb_*`` readers below are forced into the child (``reader="tests.extractors.test_sandbox:bomb_..."``)
to show what happens when a reader crashes, eats memory or CPU, hangs or has a bug.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import time
import zipfile
from pathlib import Path

import pytest

from cashapp.core.errors import (
    FileTooLargeError,
    InputError,
    StatementParseError,
    UnknownFormatError,
)
from cashapp.core.settings import Settings
from cashapp.domain.statements import StatementFile
from cashapp.extractors import sandbox
from cashapp.extractors.inspect_json import statement_file_json
from cashapp.extractors.read import read_bytes, read_untrusted
from cashapp.extractors.sandbox import SandboxLimits, read_in_sandbox, run_sandboxed

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "camt"
SMALL = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Id>S-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-11-05</Dt></BookgDt><AcctSvcrRef>BANK-1</AcctSvcrRef></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def settings(**overrides: int) -> Settings:
    values = {
        "max_file_bytes": 200 * 1024 * 1024,
        "sandbox_memory_bytes": 1024 * 1024 * 1024,
        "sandbox_cpu_seconds": 20,
        "sandbox_wall_seconds": 30,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


# readers forced into the child by the tests below
def bomb_memory(data: bytes, *, source: str) -> StatementFile:
    hog = [bytearray(64 * 1024 * 1024) for _ in range(64)]
    raise AssertionError(len(hog))


def bomb_cpu(data: bytes, *, source: str) -> StatementFile:
    while True:
        pass


def bomb_sleep(data: bytes, *, source: str) -> StatementFile:
    time.sleep(60)
    raise AssertionError("woke up")


def bomb_crash(data: bytes, *, source: str) -> StatementFile:
    os.abort()


def bomb_bug(data: bytes, *, source: str) -> StatementFile:
    return {}["missing"]  # type: ignore[no-any-return]


def bomb_recursion(data: bytes, *, source: str) -> StatementFile:
    def down(n: int) -> int:
        return down(n + 1) + 1

    return down(0)  # type: ignore[return-value]


def test_reads_the_same_as_in_process_from_bytes_and_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "statement.xml"
    path.write_bytes(SMALL)
    in_process = read_bytes(SMALL, source="statement.xml")
    assert read_untrusted(SMALL, source="statement.xml", settings=settings()) == in_process
    assert read_untrusted(path, source="statement.xml", settings=settings()) == in_process
    assert isinstance(in_process, StatementFile)
    assert in_process.statements[0].lines[0].bank_ref == "BANK-1"


def test_golden_files_come_back_identical_through_the_sandbox() -> None:
    for case in sorted(GOLDEN.glob("*.xml"))[:4]:
        data = case.read_bytes()
        direct = read_bytes(data, source=case.name)
        boxed = read_untrusted(data, source=case.name, settings=settings())
        assert boxed == direct
        assert isinstance(boxed, StatementFile) and isinstance(direct, StatementFile)
        assert statement_file_json(boxed) == statement_file_json(direct)


def test_the_reader_error_comes_back_with_file_line_and_element() -> None:
    garbled = SMALL.replace(b">12.50<", b">12..50<")
    with pytest.raises(StatementParseError) as caught:
        read_untrusted(garbled, source="garbled.xml", settings=settings())
    assert caught.value.file == "garbled.xml"
    assert caught.value.line == 4
    assert caught.value.element == "Stmt[1]/Ntry[1]/Amt"
    assert "garbled amount '12..50'" in str(caught.value)


@pytest.mark.parametrize(
    ("bomb", "limits", "says"),
    [
        ("bomb_memory", {"sandbox_memory_bytes": 512 * 1024 * 1024}, "memory limit"),
        ("bomb_cpu", {"sandbox_cpu_seconds": 1}, "CPU time limit"),
        ("bomb_sleep", {"sandbox_wall_seconds": 2}, "longer than 2 s"),
        ("bomb_crash", {}, "crashed"),
        ("bomb_bug", {}, "KeyError"),
        ("bomb_recursion", {}, "nested too deeply"),
    ],
)
def test_a_misbehaving_reader_becomes_a_clean_input_error(
    bomb: str, limits: dict[str, int], says: str
) -> None:
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        read_in_sandbox(
            SMALL,
            source="bomb.xml",
            settings=settings(**limits),
            reader=f"tests.extractors.test_sandbox:{bomb}",
        )
    assert type(caught.value) is InputError
    assert caught.value.file == "bomb.xml"
    assert says in str(caught.value) or (bomb == "bomb_crash" and "aborted" in str(caught.value))
    assert time.monotonic() - started < 10


def test_a_200_mb_file_is_refused_by_size_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:  # sparse: costs no disk and no time
        handle.write(SMALL[:100])
        handle.truncate(200 * 1024 * 1024 + 1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(FileTooLargeError) as caught:
        read_untrusted(big, source="big.xml", settings=settings())
    assert time.monotonic() - started < 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20 * 1024  # KB
    assert "over the 209715200 byte cap" in str(caught.value)
    assert caught.value.file == "big.xml"


def test_bytes_over_the_cap_are_refused_in_process() -> None:
    with pytest.raises(FileTooLargeError):
        read_bytes(SMALL, source="s.xml", max_bytes=100)


@pytest.mark.parametrize("in_sandbox", [False, True])
def test_a_zip_is_refused_clearly(in_sandbox: bool) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("statement.xml", SMALL)
    with pytest.raises(UnknownFormatError, match="zip archive"):
        if in_sandbox:
            read_untrusted(buffer.getvalue(), source="s.zip", settings=settings())
        else:
            read_bytes(buffer.getvalue(), source="s.zip")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        read_untrusted(tmp_path / "nope.xml", source="nope.xml", settings=settings())


# --- the zygote: one warm process, one fresh forked worker per file ----------------------------

_READS = 0


def count_reads(data: bytes, *, source: str) -> StatementFile:
    """Says how many files this process has read: a worker always says 1."""
    global _READS
    _READS += 1
    raise StatementParseError(f"read number {_READS}", file=source)


def scribble_on_stdout(data: bytes, *, source: str) -> StatementFile:
    """Writes garbage where the zygote talks to its caller, then reads normally."""
    os.write(1, b'{"code": 0, "timed_out": false, "answer_bytes": 3, "stderr_bytes": 0}\nXYZ')
    print("more garbage")
    return read_bytes(data, source=source)  # type: ignore[return-value]


def limits_seen(data: bytes) -> list[int]:
    """The memory and CPU hard limits of the process it runs in."""
    return [resource.getrlimit(resource.RLIMIT_AS)[1], resource.getrlimit(resource.RLIMIT_CPU)[1]]


def nested_limits(data: bytes, *, source: str) -> StatementFile:
    """Asks for a nested sandboxed call with larger limits than its own."""
    seen = run_sandboxed(
        "tests.extractors.test_sandbox:limits_seen",
        b"",
        SandboxLimits(memory_bytes=8 * 1024 * 1024 * 1024, cpu_seconds=500),
        source=source,
    )
    raise StatementParseError(f"nested {seen[0]} {seen[1]} in {os.getpid()}", file=source)


def test_every_file_gets_a_fresh_worker_from_the_same_warm_zygote() -> None:
    reader = "tests.extractors.test_sandbox:count_reads"
    for _ in range(3):
        with pytest.raises(StatementParseError, match=r"read number 1$"):
            read_in_sandbox(SMALL, source="a.xml", settings=settings(), reader=reader)
    assert _READS == 0  # nothing was read in this process


def test_a_misbehaving_file_does_not_spoil_the_next_one() -> None:
    expected = read_bytes(SMALL, source="s.xml")
    for bomb, limits in (("bomb_cpu", {"sandbox_cpu_seconds": 1}), ("bomb_crash", {}),
                         ("bomb_memory", {"sandbox_memory_bytes": 512 * 1024 * 1024})):
        with pytest.raises(InputError):
            read_in_sandbox(SMALL, source="bomb.xml", settings=settings(**limits),
                            reader=f"tests.extractors.test_sandbox:{bomb}")
        assert read_untrusted(SMALL, source="s.xml", settings=settings()) == expected


def test_a_worker_cannot_write_into_the_answer_channel() -> None:
    read = read_in_sandbox(SMALL, source="s.xml", settings=settings(),
                           reader="tests.extractors.test_sandbox:scribble_on_stdout")
    assert read == read_bytes(SMALL, source="s.xml")


def test_a_zygote_that_died_while_idle_is_replaced() -> None:
    expected = read_bytes(SMALL, source="s.xml")
    assert read_untrusted(SMALL, source="s.xml", settings=settings()) == expected
    for zygote in list(sandbox._idle_zygotes):
        zygote.process.kill()
        zygote.process.wait()
    assert read_untrusted(SMALL, source="s.xml", settings=settings()) == expected


def kill_the_zygote(data: bytes, *, source: str) -> StatementFile:
    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(60)
    raise AssertionError("still alive")


def test_a_zygote_killed_during_a_read_is_a_clean_error_and_replaced() -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="killed") as caught:
        read_in_sandbox(SMALL, source="k.xml", settings=settings(),
                        reader="tests.extractors.test_sandbox:kill_the_zygote")
    assert caught.value.file == "k.xml" and time.monotonic() - started < 10
    assert read_untrusted(SMALL, source="s.xml", settings=settings()) == read_bytes(
        SMALL, source="s.xml")


def test_a_nested_sandboxed_call_forks_from_the_worker_within_its_limits() -> None:
    memory = 512 * 1024 * 1024
    with pytest.raises(StatementParseError, match=r"^.*nested (\d+) (\d+) in (\d+)") as caught:
        read_in_sandbox(SMALL, source="n.xml", settings=settings(sandbox_memory_bytes=memory),
                        reader="tests.extractors.test_sandbox:nested_limits")
    words = str(caught.value).split()
    at = words.index("nested")
    assert int(words[at + 1]) <= memory  # never above the worker's own limit
    assert int(words[at + 2]) <= 21  # the worker's CPU hard limit (20 s + 1)
    assert int(words[at + 4]) != os.getpid()
