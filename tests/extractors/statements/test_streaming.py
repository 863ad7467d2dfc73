"""The streaming readers (``iter_lines``) give exactly ``extract``'s lines, or its error, on
every fixture and corpus file, whether given bytes or a path and however the file is cut
into pieces; and a truncated file raises before the lines of its last statement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fixtures.corpus_facts import CORPUS

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine
from cashapp.extractors.statements import bai2, cfonb, coda, mt940, ofx, text_stream

ROOT = Path(__file__).resolve().parents[3]
READERS: dict[str, ModuleType] = {
    "mt940": mt940,
    "cfonb": cfonb,
    "coda": coda,
    "bai2": bai2,
    "ofx": ofx,
}


def _files() -> list[tuple[str, Path]]:
    found = []
    for folder, _reader in READERS.items():
        for base in (ROOT / "fixtures" / "statements" / folder, CORPUS / folder):
            if base.is_dir():
                found += [
                    (folder, p)
                    for p in sorted(base.iterdir())
                    if p.is_file() and not p.name.endswith(".json")
                ]
    return found


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except StatementParseError as error:
        return ("error", str(error))


def _extracted(reader: ModuleType, data: bytes, source: str) -> object:
    def run() -> list[tuple[int, BankLine]]:
        parsed = reader.extract(data, source=source)
        return [(i, line) for i, s in enumerate(parsed.statements) for line in s.lines]

    return _outcome(run)


@pytest.mark.parametrize(("folder", "path"), _files(), ids=lambda v: getattr(v, "name", v))
def test_iter_lines_gives_extracts_lines_or_error(
    folder: str, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = READERS[folder]
    data = path.read_bytes()
    expected = _extracted(reader, data, path.name)
    assert _outcome(lambda: list(reader.iter_lines(path, source=path.name))) == expected
    assert _outcome(lambda: list(reader.iter_lines(data, source=path.name))) == expected
    monkeypatch.setattr(text_stream, "CHUNK_BYTES", 37)  # every piece boundary exercised
    assert _outcome(lambda: list(reader.iter_lines(path, source=path.name))) == expected
    assert _extracted(reader, data, path.name) == expected


def _mt940(statements: int) -> bytes:
    messages = []
    for n in range(statements):
        messages.append(
            f":20:STMT{n}\n:25:NL91ABNA0417164300\n:28C:{n + 1}/1\n"
            f":60F:C250101EUR100,00\n:61:2501020102C10,00NTRFNONREF//B{n}\n"
            f":86:payment {n}\n:62F:C250102EUR110,00\n-"
        )
    return "\n".join(messages).encode()


def _lines_before_error(lines: Iterator[tuple[int, BankLine]]) -> list[int]:
    statements: list[int] = []
    with pytest.raises(StatementParseError):
        for index, _line in lines:
            statements.append(index)
    return statements


def test_mt940_truncated_last_statement_raises_before_its_lines() -> None:
    whole = _mt940(3)
    assert {i for i, _ in mt940.iter_lines(whole, source="x.sta")} == {0, 1, 2}
    cut = whole[: whole.rindex(b":62F:")]  # the last message loses its closing balance
    assert set(_lines_before_error(mt940.iter_lines(cut, source="x.sta"))) == {0}


def test_mt940_streaming_reads_a_path_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.sta"
    path.write_bytes(_mt940(50))
    monkeypatch.setattr(text_stream, "CHUNK_BYTES", 64)
    got = list(mt940.iter_lines(path, source="many.sta"))
    assert [(i, line.bank_ref) for i, line in got] == [(n, f"B{n}") for n in range(50)]


def test_mt940_long_line_is_refused_in_streaming() -> None:
    data = _mt940(2).replace(b":86:payment 1", b":86:" + b"x" * 100_000)
    with pytest.raises(StatementParseError, match="longer than 1024"):
        list(mt940.iter_lines(data, source="x.sta"))


def test_cfonb_truncated_file_raises_before_its_last_statement() -> None:
    data = (ROOT / "fixtures" / "statements" / "cfonb" / "basic.txt").read_bytes()
    records = data.splitlines(keepends=True)
    whole = b"".join(records) * 1
    statements = {i for i, _ in cfonb.iter_lines(whole, source="x.txt")}
    assert statements, "the fixture has lines"
    last_07 = max(n for n, r in enumerate(records) if r.startswith(b"07"))
    cut = b"".join(records[:last_07])
    got = _lines_before_error(cfonb.iter_lines(cut, source="x.txt"))
    assert max(statements) not in got


def test_bai2_file_without_trailer_raises_before_its_last_account() -> None:
    data = (ROOT / "fixtures" / "statements" / "bai2" / "basic.bai2").read_bytes()
    records = data.splitlines(keepends=True)
    cut = b"".join(r for r in records if not r.startswith(b"99"))
    statements = {i for i, _ in bai2.iter_lines(data, source="x.bai2")}
    got = _lines_before_error(bai2.iter_lines(cut, source="x.bai2"))
    assert max(statements) not in got


def test_ofx_truncated_file_raises_before_any_line() -> None:
    data = (ROOT / "fixtures" / "statements" / "ofx" / "xml_v211_bank_and_card.ofx").read_bytes()
    assert list(ofx.iter_lines(data, source="x.ofx"))
    cut = data[: data.rindex(b"</OFX>")]
    assert _lines_before_error(ofx.iter_lines(cut, source="x.ofx")) == []


def test_ofx_one_line_file_is_read_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (ROOT / "fixtures" / "statements" / "ofx" / "sgml_v102_cp1252.ofx").read_bytes()
    one_line = data.replace(b"\r\n", b"").replace(b"\n", b"")
    expected = _extracted(ofx, one_line, "x.ofx")
    assert isinstance(expected, list) and expected
    pieces: list[str] = []
    chunks = text_stream.text_chunks

    def recorded(*args: object, **kwargs: object) -> object:
        for piece in chunks(*args, **kwargs):  # type: ignore[arg-type]
            pieces.append(piece)
            yield piece

    monkeypatch.setattr(text_stream, "CHUNK_BYTES", 64)
    monkeypatch.setattr(ofx, "text_chunks", recorded)
    assert list(ofx.iter_lines(one_line, source="x.ofx")) == expected
    assert max(map(len, pieces)) < 200, "a file on one line is still cut into pieces"


@pytest.mark.parametrize(
    "data",
    [
        "caf\u00e9 d\u00e9j\u00e0\n".encode() * 40,  # UTF-8, characters cut between pieces
        b"caf\xe9 \x80 na\xefve\n" * 40,  # CP1252
        b"caf\xe9 \x81\n" * 40,  # a byte CP1252 leaves undefined: Latin-1
        # a character cut at the first piece's end, an ASCII piece, then its second byte:
        # not UTF-8 (pieces of 7 bytes after the first 3)
        b"abcdefghi\xc3" + b"x" * 7 + b"\xa9\n",
    ],
)
def test_sniff_chooses_the_whole_files_encoding(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cashapp.extractors.statements.fixed_width import decode_text

    monkeypatch.setattr(text_stream, "CHUNK_BYTES", 7)
    sniffed = text_stream.sniff(data, source="x")
    assert "".join(text_stream.text_chunks(data, sniffed.encoding)) == decode_text(data, source="x")


def test_mt940_customer_reference_keys_depend_on_the_whole_file() -> None:
    """A customer reference keys a line only when no other line of the file has it: the
    streaming reader must know the later statements before handing out the first."""

    def message(n: int, customer: str) -> str:
        return (
            f":20:STMT{n}\n:25:NL91ABNA0417164300\n:28C:{n + 1}/1\n:60F:C250101EUR100,00\n"
            f":61:2501020102C10,00NTRF{customer}\n:86:payment {n}\n:62F:C250102EUR110,00\n-"
        )

    data = "\n".join(message(n, c) for n, c in enumerate(["TWICE", "ONCE", "TWICE"])).encode()
    streamed = [(i, line.bank_ref) for i, line in mt940.iter_lines(data, source="x.sta")]
    extracted = mt940.extract(data, source="x.sta").statements
    assert streamed == [(i, s.lines[0].bank_ref) for i, s in enumerate(extracted)]
    assert streamed[1] == (1, "ONCE")
    assert "TWICE" not in {ref for _, ref in streamed}
