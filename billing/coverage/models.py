from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field


class CoverageEventKind(StrEnum):
    enrolled = "enrolled"
    activated = "activated"
    entered_arrears = "entered_arrears"
    recovered = "recovered"
    ended = "ended"
    reactivated = "reactivated"
    cancelled = "cancelled"
    sponsor_stopped = "sponsor_stopped"


class CoverageEvent(SQLModel, table=True):
    """Append-only: every change of a participant's coverage state, with its cause.
    Reports read these rows; nothing updates or deletes them."""

    __tablename__ = "coverage_event"

    id: int | None = big_pk()
    participant_id: int = Field(foreign_key="participant.id", index=True)
    occurred_on: date = Field(index=True)
    kind: CoverageEventKind = enum_field(CoverageEventKind)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    # The failure code behind a lapse (``insufficient_funds``…), ``mandate_revoked``,
    # ``sponsor_stopped``, ``voluntary``; None where nothing went wrong (enrolment, payment).
    cause: str | None = Field(default=None, max_length=40)
    created_at: datetime = created_at()
