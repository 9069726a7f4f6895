"""Column helpers shared by the domain tables."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, DateTime, Integer, String, TypeDecorator
from sqlmodel import Field

from billing.fields import NotBool
from billing.timeutil import utcnow


def money(**kw: Any) -> Any:
    """Whole rupiah. SQLModel's plain ``int`` is 32-bit in PostgreSQL: money needs BigInteger."""
    return Field(sa_type=BigInteger, **kw)


class UtcDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that always reads back with an offset. SQLite keeps none: its values
    are stored as UTC and come back naive, so they get UTC attached (PostgreSQL's keep their own)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        # SQLite would store an aware value's wall time and drop its offset.
        if value is not None and value.tzinfo is not None and dialect.name == "sqlite":
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def timestamp(nullable: bool = True, **kw: Any) -> Any:
    return Field(sa_type=UtcDateTime(), nullable=nullable, **kw)


def created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime(), nullable=False)


# The largest INTEGER (PostgreSQL int4) value: bound ids of plain-int tables in paths and queries with
# ``Field(ge=1, le=INT_MAX)`` so a bigger number is a 422, not a database error.
INT_MAX = 2**31 - 1
# The largest BIGINT (and SQLite INTEGER) value.
BIGINT_MAX = 2**63 - 1

# Ids in request models: out of range is a 422, never a database error; true is not id 1. Not strict:
# path and query ids arrive as text.
RowId = Annotated[int, NotBool, PydanticField(ge=1, le=INT_MAX)]
BigRowId = Annotated[int, NotBool, PydanticField(ge=1, le=BIGINT_MAX)]

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


def big_pk() -> Any:
    return Field(default=None, primary_key=True, sa_type=BIG_ID)


class StrEnumType(TypeDecorator[StrEnum]):
    """VARCHAR in the database, the StrEnum member in Python: loaded rows compare with ``is`` like new ones."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__(length=max(len(m.value) for m in enum))
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


def enum_field(enum: type[StrEnum], **kw: Any) -> Any:
    """A StrEnum stored as VARCHAR: native PostgreSQL enums make adding a value a migration chore."""
    return Field(sa_type=StrEnumType(enum), **kw)
