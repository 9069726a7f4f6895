"""Offset pagination shared by every list endpoint."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, select

T = TypeVar("T")


class PageQuery(BaseModel):
    # Bounded so that the OFFSET fits a BIGINT: a huge page number is a 422, not a database error.
    page: int = Field(default=1, ge=1, le=1_000_000, description="Halaman, mulai 1 / Page, from 1")
    per_page: int = Field(default=50, ge=1, le=200, description="Baris per halaman / Rows per page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


def paginate(session: Session, stmt: Any, q: PageQuery) -> tuple[list[Any], int]:
    """Rows of one page and the total count of ``stmt``."""
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.offset((q.page - 1) * q.per_page).limit(q.per_page)).all()
    return list(rows), int(total)
