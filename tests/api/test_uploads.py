"""Statement uploads end to end: multipart, read in the sandbox, stored once per content,
bank lines listed with their state; remittances refused on the statements route."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.api.conftest import Tenant

ROOT = Path(__file__).resolve().parents[2]
CAMT = ROOT / "fixtures" / "statements" / "camt" / "camt053_v02_features.xml"


def test_upload_a_camt_statement_once(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    data = CAMT.read_bytes()
    first = client.post("/v1/statements", files={"file": ("bank.xml", data, "application/xml")},
                        headers=a.headers("write", idem="u1"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["created"] and body["kind"] == "statement" and body["lines_new"] == 8
    again = client.post("/v1/statements", files={"file": ("other-name.xml", data, "application/xml")},
                        headers=a.headers("write", idem="u2"))
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["file_id"] == body["file_id"]
    lines = client.get("/v1/bank-lines", headers=a.headers("read")).json()["items"]
    assert len(lines) == 8 and {line["state"] for line in lines} == {"new"}
    assert {line["bank_ref"] for line in lines} >= {"ASR-0001", "ASR-0006"}
    accounts = client.get("/v1/bank-accounts", headers=a.headers("read")).json()["items"]
    assert [x["account"] for x in accounts] == ["DE44500105175407324931"]
    # the other tenant stores its own copy and sees only it
    other = client.post("/v1/statements", files={"file": ("bank.xml", data, "application/xml")},
                        headers=b.headers("write", idem="u1"))
    assert other.status_code == 200 and other.json()["created"]
    assert client.get("/v1/bank-accounts", headers=b.headers("read")).json()["items"][0]["id"] != accounts[0]["id"]


def test_a_broken_statement_stores_nothing(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    broken = CAMT.read_bytes()[:-400]
    response = client.post("/v1/statements", files={"file": ("bank.xml", broken, "application/xml")},
                           headers=a.headers("write", idem="b1"))
    assert response.status_code in (415, 422) and "Traceback" not in response.text
    assert client.get("/v1/bank-lines", headers=a.headers("read")).json()["items"] == []


def test_a_retried_upload_with_a_new_boundary_is_a_replay(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    data = CAMT.read_bytes()

    def multipart(boundary: str) -> tuple[bytes, str]:
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bank.xml\"\r\n"
                f"Content-Type: application/xml\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return body, f"multipart/form-data; boundary={boundary}"

    first_body, first_type = multipart("aaaa1111")
    retry_body, retry_type = multipart("bbbb2222")
    first = client.post("/v1/statements", content=first_body, headers={**a.headers("write", idem="r"), "Content-Type": first_type})
    retry = client.post("/v1/statements", content=retry_body, headers={**a.headers("write", idem="r"), "Content-Type": retry_type})
    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json() == first.json()
