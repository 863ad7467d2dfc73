"""The review queue in a real headless Chromium (Debian's, driven by Playwright), against
``cashapp serve`` on a free loopback port: sign in, open the queue, write off a difference
with a reason, change an allocation (search the customer's items, split), confirm with a
keyboard shortcut, check the dashboard; the ledger and the lettrage feed reflect it all.
Screenshots of each page go to ``artifacts/screenshots/``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.scenario import invoice_proposal, store_lines, suggest

from cashapp.core.clock import utc_now
from cashapp.domain.ledger import OpenItem
from cashapp.reconciliation.open_items import import_open_items
from cashapp.storage.apikeys import Scope, create_api_key
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head
from cashapp.storage.tables import TenantRow
from cashapp.storage.transactions import write_transaction
from tests_support import missing_service

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _item(number: str, amount: str, customer: str, name: str) -> OpenItem:
    return OpenItem(invoice_number=number, customer_id=customer, customer_name=name, issue_date=date(2025, 10, 1),
                    due_date=date(2025, 10, 31), currency="EUR", amount=Decimal(amount), open_amount=Decimal(amount))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        missing_service("Debian chromium is not installed (scripts/ensure-chromium.sh)")
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with write_transaction(engine) as session:
        tenant = TenantRow(name="Acme SAS", created_at=utc_now())
        session.add(tenant)
        session.flush()
        assert tenant.id is not None
        tid = tenant.id
        review_key = create_api_key(session, tenant_id=tid, scopes=[Scope.REVIEW]).key
        read_key = create_api_key(session, tenant_id=tid, scopes=[Scope.READ]).key
        import_open_items(session, tid, [
            _item("INV-1", "100.00", "C1", "Customer One"), _item("INV-2", "250.00", "C1", "Customer One"),
            _item("INV-3", "80.00", "C2", "Two SA"), _item("INV-4", "220.00", "C2", "Two SA"),
            _item("INV-9", "300.00", "C9", "Nine GmbH")])
    lines = store_lines(engine, tid, [("245.00", "Customer One", "INV-2 minus bank fees"),
                                      ("300.00", "Two SA", "payment invoices 3 and 4"),
                                      ("100.00", "Customer One", "INV-1")])
    suggest(engine, tid, lines[0], invoice_proposal("C1", ("INV-2", "245.00"), confidence=0.62))
    suggest(engine, tid, lines[1], invoice_proposal("C9", ("INV-9", "300.00"), confidence=0.41))
    suggest(engine, tid, lines[2], invoice_proposal("C1", ("INV-1", "100.00"), confidence=0.93))
    port = _free_port()
    env = {**os.environ, "CASHAPP_DATABASE_URL": url, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    server = subprocess.Popen([sys.executable, "-m", "cashapp.cli.serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"cashapp serve did not start: {server.stderr.read() if server.stderr else ''}")
        time.sleep(0.2)
    try:
        yield {"base": base, "engine": engine, "tenant": tid, "lines": lines, "review_key": review_key, "read_key": read_key}
    finally:
        server.terminate()
        server.wait(10)
        engine.dispose()


def test_review_queue_in_chromium(served: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    base, lines = served["base"], served["lines"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(f"{base}/review")
        expect(page).to_have_url(f"{base}/review/login")
        page.screenshot(path=str(SHOTS / "01-login.png"))
        page.fill("#key", served["review_key"])
        page.click("button[type=submit]")

        # the queue, largest first
        expect(page.locator("h1")).to_contain_text("Review queue")
        rows = page.locator("table.queue tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("300.00")
        page.screenshot(path=str(SHOTS / "02-queue.png"), full_page=True)

        # 1. paid in full, the 5.00 difference written off as bank charges
        page.goto(f"{base}/review/lines/{lines[0]}")
        expect(page.locator("#remaining")).to_have_text("0.00")  # the top proposal is loaded
        expect(page.locator("#writeoff-list")).to_have_text("INV-2")
        page.screenshot(path=str(SHOTS / "03-payment.png"), full_page=True)
        page.select_option("#writeoff-reason", "bank_charges")
        page.click("#write-off")
        expect(page.locator(".flash")).to_contain_text("Applied")

        # 2. change the allocation: the proposal (INV-9) is wrong; split over INV-3 and INV-4
        page.goto(f"{base}/review/lines/{lines[1]}")
        page.click("#rows button.remove")
        expect(page.locator("#remaining")).to_have_text("300.00")
        page.fill("#search input[name=customer]", "C2")
        page.click("#search button[type=submit]")
        expect(page.locator("#open-items")).to_contain_text("INV-4")
        page.click("button.add-invoice[data-invoice=INV-3]")
        expect(page.locator("#remaining")).to_have_text("220.00")
        page.click("button.add-invoice[data-invoice=INV-4]")
        expect(page.locator("#remaining")).to_have_text("0.00")
        expect(page.locator("#customer_id")).to_have_value("C2")
        page.select_option("#action", "split")
        page.screenshot(path=str(SHOTS / "04-change-allocation.png"), full_page=True)
        page.click("#apply")
        expect(page.locator(".flash")).to_contain_text("Applied")

        # 3. confirm the top proposal with the keyboard
        page.goto(f"{base}/review/lines/{lines[2]}")
        page.keyboard.press("c")
        expect(page.locator("body")).to_contain_text("Applied")

        page.goto(f"{base}/review")
        expect(page.locator("table.queue tbody")).to_contain_text("Nothing to review")
        page.goto(f"{base}/review/dashboard")
        expect(page.locator(".tile").nth(1)).to_contain_text("0")
        expect(page.locator("table")).to_contain_text("645.00")
        page.screenshot(path=str(SHOTS / "05-dashboard.png"), full_page=True)
        page.goto(f"{base}/review/lines/{lines[0]}")
        page.screenshot(path=str(SHOTS / "06-applied-payment.png"), full_page=True)
        browser.close()
    assert errors == []

    # the ledger and the lettrage feed reflect it
    headers = {"Authorization": f"Bearer {served['read_key']}"}
    items = {i["invoice_number"]: i["open_amount"] for i in httpx.get(
        f"{base}/v1/open-items", params={"include_settled": True}, headers=headers).json()["items"]}
    assert items == {"INV-1": "0.00", "INV-2": "0.00", "INV-3": "0.00", "INV-4": "0.00", "INV-9": "300.00"}
    feed = httpx.get(f"{base}/v1/lettrage", headers=headers).json()["items"]
    rows = sorted((a["kind"], a["invoice_number"], a["amount"], a["reason_code"]) for e in feed for a in e["allocations"])
    assert rows == sorted([("invoice", "INV-2", "245.00", None), ("write_off", "INV-2", "5.00", "bank_charges"),
                           ("invoice", "INV-3", "80.00", None), ("invoice", "INV-4", "220.00", None),
                           ("invoice", "INV-1", "100.00", None)])
    assert all(e["EcritureLet"] and e["EcritureLet"].isupper() for e in feed)
    with served["engine"].connect() as conn:
        from sqlalchemy import text

        actions = [r[0] for r in conn.execute(text("SELECT action FROM review_action ORDER BY id"))]
    assert actions == ["write_off", "split", "confirm"]
