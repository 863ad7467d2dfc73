"""The tables, as SQLModel ``*Row`` classes. Every row belongs to a tenant; keys include it.

Money columns are BIGINT integer minor units beside a currency code (never float). The
Alembic migrations in ``storage/migrations`` create exactly these tables, plus the triggers
and partial indexes that hold the money invariants (see ``migrations/versions``).
"""

from cashapp.storage.tables.bank import BankAccountRow, BankLineRow, StatementFileRow, StatementRow
from cashapp.storage.tables.columns import metadata, table_of
from cashapp.storage.tables.integration import IdempotencyKeyRow, OutboxRow, RemittanceRow
from cashapp.storage.tables.ledger import AllocationRow, ApplicationRow, DecisionRow, SuggestionRow
from cashapp.storage.tables.tenancy import CustomerAccountRow, CustomerRow, OpenItemRow, TenantRow

__all__ = [
    "AllocationRow",
    "ApplicationRow",
    "BankAccountRow",
    "BankLineRow",
    "CustomerAccountRow",
    "CustomerRow",
    "DecisionRow",
    "IdempotencyKeyRow",
    "OpenItemRow",
    "OutboxRow",
    "RemittanceRow",
    "StatementFileRow",
    "StatementRow",
    "SuggestionRow",
    "TenantRow",
    "metadata",
    "table_of",
]
