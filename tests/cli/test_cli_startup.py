"""Start-up stays light: every ``cashapp`` command imports only what it uses.

The ERP's scripts call ``cashapp`` often; importing the matcher (scikit-learn, SciPy,
numpy), spaCy, pdfplumber or the web stack costs seconds of CPU per call. Each case runs the
real entry point in a fresh interpreter and checks, at exit, which heavy packages were
imported: a test of behaviour (what is loaded), not of time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cashapp

SRC = Path(cashapp.__file__).resolve().parents[1]  # this checkout's src/, not an installed copy
OFX = SRC.parent / "fixtures" / "statements" / "ofx" / "sgml_v102_cp1252.ofx"
ITEMS = (
    "invoice_number,customer_id,customer_name,issue_date,due_date,currency,amount,open_amount\n"
    "INV-1001,C1,Müller Maschinenbau GmbH,2025-10-01,2025-10-31,EUR,1000.00,\n"
)

# Only ``run``, ``train``, ``serve``, ``demo`` and ``ingest`` (in its sandbox) need these.
HEAVY = {"sklearn", "skops", "scipy", "numpy", "spacy", "pdfplumber", "fastapi", "starlette",
         "uvicorn", "httpx", "procrastinate"}
# Commands that do not touch the database do not import it either.
STORAGE = {"sqlalchemy", "sqlmodel", "alembic", "psycopg"}

# Runs the console script's entry point with ``argv`` and reports, at exit, the top-level
# packages imported (on a stream of its own, so that the command's output stays untouched).
PROBE = """
import atexit, json, os, sys
def _report():
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(sorted({name.split(".")[0] for name in sys.modules}), out)
atexit.register(_report)
sys.argv = ["cashapp", *json.loads(os.environ["PROBE_ARGV"])]
if sys.argv[1:] == ["--import-only"]:
    import cashapp.cli.app
else:
    from cashapp.cli.app import main
    main()
"""


def imported_by(args: list[str], tmp_path: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    out = tmp_path / "modules.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "CASHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'startup.db'}",
        "PROBE_OUT": str(out),
        "PROBE_ARGV": json.dumps(args),
    }
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert out.exists(), done.stderr
    return set(json.loads(out.read_text())), done


@pytest.mark.parametrize(
    "args",
    [["--import-only"], ["--help"], ["tenant", "--help"], ["export", "--help"],
     ["apikey", "create", "--help"]],
    ids=["import", "help", "tenant-help", "export-help", "apikey-help"],
)
def test_help_imports_neither_the_stack_nor_the_database(args: list[str], tmp_path: Path) -> None:
    loaded, done = imported_by(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert {"typer", "cashapp"} <= loaded  # the probe sees what the command imported
    assert loaded & (HEAVY | STORAGE) == set()


def test_light_commands_import_no_heavy_package(tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    for args in (["tenant", "create", "acme"], ["import-invoices", "items.csv"],
                 ["export", "out.csv"], ["--tenant", "acme", "export", "out.jsonl", "--format", "jsonl"]):
        loaded, done = imported_by(args, tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        assert loaded & HEAVY == set(), args
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("bank_ref")


def test_inspect_imports_neither_the_stack_nor_the_database(tmp_path: Path) -> None:
    loaded, done = imported_by(["inspect", str(OFX)], tmp_path)  # pdfplumber: in the sandbox only
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["format"] == "ofx"
    assert loaded & (HEAVY | STORAGE) == set()

