"""Open items in: the ERP's invoices (and their customers) upserted, idempotently."""

from __future__ import annotations

from collections.abc import Sequence

from cashapp.domain.ledger import OpenItem
from cashapp.storage import Session
from cashapp.storage.repositories.receivables import (
    UpsertCounts,
    upsert_customers,
    upsert_open_items,
)


def import_open_items(session: Session, tenant: int, items: Sequence[OpenItem]) -> UpsertCounts:
    """Upsert ``items`` for ``tenant``: re-importing the same items changes nothing.

    All or nothing: the caller's transaction holds every row of the file or none.
    """
    customers: dict[str, str] = {}
    accounts: set[tuple[str, str]] = set()
    for item in items:
        customers.setdefault(item.customer_id, item.customer_name)
        if item.customer_iban:
            accounts.add((item.customer_id, item.customer_iban))
    customer_ids, created_customers = upsert_customers(session, tenant, customers, accounts)
    counts = upsert_open_items(session, tenant, items, customer_ids)
    return UpsertCounts(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        customers_created=created_customers,
    )
