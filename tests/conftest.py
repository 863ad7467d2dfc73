"""Shared fixtures: a migrated database on each backend, a fresh tenant per test, and a small
builder for ledger scenarios.

``engine`` is parametrised over ``sqlite`` (a file in a temporary directory) and
``postgresql`` (a uniquely named schema in database ``test`` on 127.0.0.1:5432, dropped at
the end; ``CASHAPP_TEST_POSTGRES_URL`` overrides the server URL). Each test gets its own
tenant, so tests share one migrated database per backend without seeing each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head
from cashapp.storage.transactions import write_transaction

POSTGRES_SERVER = os.environ.get(
    "CASHAPP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_url(schema: str) -> str:
    return f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'cashapp.db'}"


@pytest.fixture(scope="session")
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    schema = f"cashapp_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_schema: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url(postgres_schema))
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> Engine:
    fixture = "sqlite_engine" if backend == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(fixture)
    return engine


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of ``engine``'s database (for subprocesses and the CLI)."""
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return postgres_url(request.getfixturevalue("postgres_schema"))


@pytest.fixture
def tenant(engine: Engine) -> int:
    from cashapp.storage.repositories.tenants import create_tenant

    with write_transaction(engine) as session:
        row = create_tenant(session, f"test-{uuid.uuid4().hex[:10]}")
        assert row.id is not None
        return row.id


@dataclass
class LedgerBuilder:
    """Builds scenarios through the use cases: invoices, statements, applications."""

    engine: Engine
    tenant: int
    _files: int = field(default=0)

    def invoice(
        self,
        number: str,
        amount: str,
        *,
        currency: str = "EUR",
        customer: str = "C1",
        open_amount: str | None = None,
        reference: str | None = None,
        customer_name: str | None = None,
        issued: date = date(2025, 10, 1),
    ) -> None:
        from cashapp.reconciliation.open_items import import_open_items

        item = OpenItem(
            invoice_number=number,
            customer_id=customer,
            customer_name=customer_name or f"Customer {customer}",
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            currency=currency,
            amount=Decimal(amount),
            open_amount=Decimal(open_amount if open_amount is not None else amount),
            payment_reference=reference,
        )
        with write_transaction(self.engine) as session:
            import_open_items(session, self.tenant, [item])

    def lines(
        self,
        *specs: tuple[str, str] | tuple[str, str, str],
        currency: str = "EUR",
        payer: str = "Payer Ltd",
        booked: date = date(2025, 11, 5),
    ) -> list[int]:
        """Store a statement with lines ``(amount, remittance_text[, currency])`` booked on
        ``booked``; their ids."""
        from cashapp.reconciliation.ingest import sha256_of, store_statement_file
        from cashapp.storage.repositories.bank import list_lines_without_live_application

        self._files += 1
        refs = []
        lines = []
        for index, spec in enumerate(specs):
            ref = f"REF-{uuid.uuid4().hex[:8]}-{index}"
            refs.append(ref)
            lines.append(
                BankLine(
                    bank_ref=ref,
                    entry=index,
                    amount=Decimal(spec[0]),
                    currency=spec[2] if len(spec) > 2 else currency,  # type: ignore[misc]
                    booking_date=booked,
                    counterparty_name=payer,
                    remittance_text=spec[1],
                )
            )
        parsed = StatementFile(
            format="test",
            statements=[
                Statement(id=f"S{self._files}", account="DE00TEST", currency=currency, lines=lines)
            ],
        )
        with write_transaction(self.engine) as session:
            store_statement_file(
                session,
                self.tenant,
                parsed,
                sha256=sha256_of(uuid.uuid4().bytes),
                filename=f"test-{self._files}.xml",
            )
            by_ref = {
                row.bank_ref: row.id
                for row in list_lines_without_live_application(
                    session, self.tenant, credits_only=False
                )
            }
        return [int(by_ref[ref]) for ref in refs]  # type: ignore[arg-type]

    def apply(self, line_id: int, proposal: Proposal, *, user: bool = False) -> int:
        from cashapp.reconciliation.apply import ActorType, apply_proposal

        with write_transaction(self.engine) as session:
            applied = apply_proposal(
                session,
                self.tenant,
                line_id,
                proposal,
                actor_type=ActorType.USER if user else ActorType.MODEL,
                actor_id="alice" if user else "matcher",
                model_name=None if user else "test-model",
            )
        return applied.application_id

    def open_minor(self, number: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT open_minor FROM open_item WHERE tenant_id = :t "
                        "AND invoice_number = :n"
                    ),
                    {"t": self.tenant, "n": number},
                ).scalar_one()
            )


def proposal(
    *allocations: tuple[str, str | None, str] | tuple[str, str | None, str, str],
    confidence: float = 0.99,
    version: str = "test-1",
) -> Proposal:
    """A proposal from ``(kind, invoice_number, amount[, reason])`` tuples."""
    built: list[ProposedAllocation] = []
    for spec in allocations:
        kind, number, amount = spec[0], spec[1], spec[2]
        reason = ReasonCode(spec[3]) if len(spec) > 3 else None  # type: ignore[misc]
        built.append(
            ProposedAllocation(
                kind=AllocationKind(kind),
                amount=Decimal(amount),
                invoice_number=number,
                reason_code=reason,
            )
        )
    return Proposal(allocations=tuple(built), confidence=confidence, model_version=version)


@pytest.fixture
def ledger(engine: Engine, tenant: int) -> LedgerBuilder:
    return LedgerBuilder(engine=engine, tenant=tenant)


@pytest.fixture
def make_proposal() -> object:
    return proposal


__all__: Sequence[str] = ("LedgerBuilder", "proposal")
