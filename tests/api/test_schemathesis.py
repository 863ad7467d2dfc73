"""schemathesis over the published OpenAPI, in process, as two tenants (A then B): no 5xx,
responses conform to the schema, unauthenticated and badly authenticated calls are refused
(``ignored_auth``), and no response to one tenant carries the other's seeded marker."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from tests.api.conftest import make_tenant
from tests.api.scenario import invoice_proposal, store_lines, suggest

from cashapp.api.app import create_app
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head

_DIR = Path(tempfile.mkdtemp(prefix="cashapp-schemathesis-"))
_ENGINE = make_engine(f"sqlite:///{_DIR / 'st.db'}")
upgrade_to_head(_ENGINE)
TENANTS = {"A": make_tenant(_ENGINE, "tenant-a"), "B": make_tenant(_ENGINE, "tenant-b")}
MARKERS = {"A": "MARKER-AAAA-7f3e", "B": "MARKER-BBBB-9c1d"}


def _seed(who: str) -> None:
    from cashapp.domain.ledger import OpenItem
    from cashapp.reconciliation.open_items import import_open_items
    from cashapp.storage.transactions import write_transaction

    tenant = TENANTS[who]
    marker = MARKERS[who]
    from datetime import date
    from decimal import Decimal

    with write_transaction(_ENGINE) as session:
        import_open_items(session, tenant.id, [OpenItem(
            invoice_number=f"{marker}-INV-{i}", customer_id="1000", customer_name=f"{marker} customer",
            issue_date=date(2025, 10, 1), due_date=date(2025, 10, 31), currency="EUR",
            amount=Decimal("100.00"), open_amount=Decimal("100.00")) for i in range(3)])
    lines = store_lines(_ENGINE, tenant.id, [("100.00", marker, f"{marker}-INV-0"), ("50.00", marker, "?")],
                        account=f"FR76{'1' if who == 'A' else '2'}0006000011234567890189")
    suggest(_ENGINE, tenant.id, lines[0], invoice_proposal("1000", (f"{marker}-INV-0", "100.00")))


_seed("A")
_seed("B")
app = create_app(engine=_ENGINE, migrate=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


def _check(who: str, case: Any) -> None:
    other = "B" if who == "A" else "A"
    tenant = TENANTS[who]
    headers = {"Authorization": f"Bearer {tenant.keys['admin']}"}
    if case.headers and "Idempotency-Key" in case.headers:
        # a fresh key per generated request: reusing one with another body is a 422 by design
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    # Business rules beyond the schema (a webhook host must resolve to a public address, an
    # allocation must add up to the payment) reject some schema-valid input by design.
    response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
    assert MARKERS[other] not in response.text, f"{who} saw {other}'s data"
    assert "Traceback" not in response.text


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_as_tenant_a(case: Any) -> None:
    _check("A", case)


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_as_tenant_b(case: Any) -> None:
    _check("B", case)


def test_every_v1_route_refuses_no_credentials() -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        for path, item in app.openapi()["paths"].items():
            for method in item:
                url = path.replace("{bank_line_id}", "1").replace("{application_id}", "1").replace("{key_id}", "x")
                response = client.request(method.upper(), url, headers={"Idempotency-Key": "k"})
                assert response.status_code == 401, (method, path, response.status_code)


pytestmark = [pytest.mark.filterwarnings("ignore")]
