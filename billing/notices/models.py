"""Outbox of messages to workers. Rows are written in the same transaction as the change they
announce; a sender delivers them later (logging by default)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field, timestamp


class NoticeKind(StrEnum):
    debit_upcoming = "debit_upcoming"
    debit_failed = "debit_failed"
    coverage_at_risk = "coverage_at_risk"
    coverage_ended = "coverage_ended"
    sponsor_stopped = "sponsor_stopped"  # the sponsor stopped: the worker pays from now on
    debit_day_moved = "debit_day_moved"
    payment_reminder = "payment_reminder"  # sent by finance from a case
    cash_received = "cash_received"  # a Perisai agent's receipt for cash the worker paid


class Notice(SQLModel, table=True):
    __tablename__ = "notice"

    id: int | None = big_pk()
    participant_id: int = Field(foreign_key="participant.id", index=True)
    kind: NoticeKind = enum_field(NoticeKind)
    # Makes writing a notice idempotent: e.g. ``debit_failed:<attempt id>``.
    dedupe_key: str = Field(max_length=80, unique=True)
    # What the text is rendered from (billing.notices.texts), as it was when the notice was written.
    params: dict = Field(default_factory=dict, sa_type=JSON)  # type: ignore[type-arg]
    created_at: datetime = created_at()
    sent_at: datetime | None = timestamp(index=True)
    # Delivery: a failed send is retried at ``retry_at`` (the delay doubles) up to notice_max_attempts.
    # The server default lets the set-based INSERT ... SELECT writers leave it out.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, max_length=200)
    retry_at: datetime | None = timestamp()
