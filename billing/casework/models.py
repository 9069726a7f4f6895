"""What staff write on a case: notes, and waiver requests waiting for a second pair of eyes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, TextClause, text
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, big_pk, created_at, enum_field, money, timestamp


class CaseNote(SQLModel, table=True):
    """A staff note on a contribution's case. Append-only: a correction is a new note."""

    __tablename__ = "case_note"

    id: int | None = big_pk()
    contribution_id: int = Field(sa_type=BIG_ID, foreign_key="contribution.id", index=True)
    author_id: int = Field(foreign_key="api_user.id")
    body: str = Field(max_length=2000)
    created_at: datetime = created_at()


class WaiverStatus(StrEnum):
    pending = "pending"
    approved = "approved"  # a second user approved it and the month was waived
    rejected = "rejected"  # the month stays due


def _pending_only() -> TextClause:
    return text("status = 'pending'")


class WaiverRequest(SQLModel, table=True):
    """A waiver above ``BILLING_WAIVER_APPROVAL_ABOVE``, asked by one finance user (the maker) and
    decided by another (the checker). One pending request per contribution at a time."""

    __tablename__ = "waiver_request"
    __table_args__ = (
        Index(
            "uq_waiver_request_pending",
            "contribution_id",
            unique=True,
            postgresql_where=_pending_only(),
            sqlite_where=_pending_only(),
        ),
        Index("ix_waiver_request_status", "status"),
    )

    id: int | None = big_pk()
    contribution_id: int = Field(sa_type=BIG_ID, foreign_key="contribution.id", index=True)
    # What the month still owed when the waiver was asked for.
    amount: int = money()
    reason: str = Field(max_length=200)
    status: WaiverStatus = enum_field(WaiverStatus, default=WaiverStatus.pending)
    requested_by: int = Field(foreign_key="api_user.id")
    requested_at: datetime = created_at()
    decided_by: int | None = Field(default=None, foreign_key="api_user.id")
    decided_at: datetime | None = timestamp()
    decision_reason: str | None = Field(default=None, max_length=200)
