"""Column types shared by the tables: ids, money, timestamps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table
from sqlmodel import Field, SQLModel

# SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL ids are BIGINT.
IdType = BigInteger().with_variant(Integer(), "sqlite")

metadata: MetaData = SQLModel.metadata


def id_field() -> Any:
    """The surrogate primary key."""
    return Field(default=None, primary_key=True, sa_type=IdType)


def ref_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A reference to another table's id (the foreign key is composite, in ``__table_args__``)."""
    return Field(default=None, nullable=nullable, sa_type=BigInteger, index=index)


def money_field(*, nullable: bool = False) -> Any:
    """An amount in integer minor units of the row's currency."""
    return Field(default=None, nullable=nullable, sa_type=BigInteger)


def timestamp_field(*, nullable: bool = False) -> Any:
    return Field(default=None, nullable=nullable, sa_type=DateTime(timezone=True))


def table_of(row_class: type[SQLModel]) -> Table:
    """The Core ``Table`` behind a ``*Row`` class (for bulk statements)."""
    table: Table = getattr(row_class, "__table__")  # noqa: B009 - not in SQLModel's type stubs
    return table
