"""Idempotency keys (RELIABILITY I4-I6): replay, body mismatch, in progress; per tenant."""

from __future__ import annotations

import pytest

from cashapp.core.clock import utc_now
from cashapp.core.errors import ConflictError
from cashapp.storage.repositories.idempotency import StoredResponse, claim_key, store_response
from cashapp.storage.transactions import write_transaction


def claim(engine, tenant, body: str):
    with write_transaction(engine) as session:
        return claim_key(
            session,
            tenant,
            endpoint="POST /applications",
            key="K-1",
            request_sha256=body * 64,
            at=utc_now(),
        )


def test_first_claims_then_replays_and_refuses_other_bodies(engine, tenant) -> None:
    assert claim(engine, tenant, "a") is None
    with pytest.raises(ConflictError) as in_use:
        claim(engine, tenant, "a")  # the first call has not answered yet
    assert in_use.value.code == "idempotency_key_in_use"
    with write_transaction(engine) as session:
        store_response(
            session, tenant, endpoint="POST /applications", key="K-1", status=201, body='{"id": 7}'
        )
    assert claim(engine, tenant, "a") == StoredResponse(status=201, body='{"id": 7}')
    with pytest.raises(ConflictError) as mismatch:
        claim(engine, tenant, "b")
    assert mismatch.value.code == "idempotency_key_mismatch"


def test_a_rolled_back_call_leaves_the_key_free(engine, tenant) -> None:
    with pytest.raises(RuntimeError), write_transaction(engine) as session:
        claim_key(
            session,
            tenant,
            endpoint="POST /applications",
            key="K-2",
            request_sha256="c" * 64,
            at=utc_now(),
        )
        raise RuntimeError("the effect failed")
    with write_transaction(engine) as session:
        assert (
            claim_key(
                session,
                tenant,
                endpoint="POST /applications",
                key="K-2",
                request_sha256="c" * 64,
                at=utc_now(),
            )
            is None
        )
