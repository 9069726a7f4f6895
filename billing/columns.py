"""Column helpers shared by the domain tables."""

from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlmodel import Field

from billing.timeutil import utcnow


def money(**kw: Any) -> Any:
    """Whole rupiah. SQLModel's plain ``int`` is 32-bit in PostgreSQL: money needs BigInteger."""
    return Field(sa_type=BigInteger, **kw)


def timestamp(nullable: bool = True, **kw: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), nullable=nullable, **kw)


def created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


def big_pk() -> Any:
    return Field(default=None, primary_key=True, sa_type=BIG_ID)


def enum_field(enum: type[StrEnum], **kw: Any) -> Any:
    """A StrEnum stored as VARCHAR: native PostgreSQL enums make adding a value a migration chore."""
    return Field(sa_type=String(max(len(m.value) for m in enum)), **kw)
