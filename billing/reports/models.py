"""Monthly report snapshots, derived from coverage events, contributions and debit attempts and
rebuilt month by month (``billing.reports.snapshot``). Nothing else writes them; a rebuild of a
month replaces all of its rows, so they carry no foreign keys."""

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from billing.columns import timestamp

# The breakdowns of ``coverage_month``: ``all`` has one row per regency and month (value ''); the
# others one row per value: ``ecosystem``, ``payer`` (self/sponsor_apbd/sponsor_csr), ``sponsor``
# (its id), ``channel`` (bank/ewallet/none), ``debit_day`` (1-15/none), ``tenure`` (whole months since
# enrolment), ``cohort`` (enrolment month YYYY-MM) and ``cause`` (the cause of lapses and endings).
DIMENSIONS = ("all", "ecosystem", "payer", "sponsor", "channel", "debit_day", "tenure", "cohort", "cause")


class CoverageMonth(SQLModel, table=True):
    """Participants of one regency in one month, cut by one dimension. ``participants``, ``active``
    and ``in_arrears`` are counts at the month's end; the other measures count the month's coverage
    events that entered or left ``active`` (by kind), and the endings that did not leave ``active``."""

    __tablename__ = "coverage_month"
    # National reports read one dimension of every regency for a range of months.
    __table_args__ = (Index("ix_coverage_month_dimension_month", "dimension", "month"),)

    region_code: str = Field(primary_key=True, max_length=5)
    month: date = Field(primary_key=True)  # the month's first day
    dimension: str = Field(primary_key=True, max_length=12)
    value: str = Field(primary_key=True, max_length=40)
    participants: int = 0
    active: int = 0
    in_arrears: int = 0
    # Into active.
    activated: int = 0
    reactivated: int = 0
    recovered: int = 0
    # Out of active.
    entered_arrears: int = 0
    ended: int = 0
    cancelled: int = 0
    sponsor_stopped: int = 0
    # Endings of participants who were no longer (or never) active: information only.
    ended_from_arrears: int = 0
    ended_before_paying: int = 0


class DebitMonth(SQLModel, table=True):
    """Debit attempts on one regency's contributions of one month, by attempt number.
    ``recovered_later``: failed attempts whose contribution has been paid since."""

    __tablename__ = "debit_month"

    region_code: str = Field(primary_key=True, max_length=5)
    month: date = Field(primary_key=True)
    attempt_no: int = Field(primary_key=True)
    attempts: int = 0
    succeeded: int = 0
    failed: int = 0
    recovered_later: int = 0


class ReportSnapshot(SQLModel, table=True):
    """Which months are built, and up to which business date their events were counted."""

    __tablename__ = "report_snapshot"

    month: date = Field(primary_key=True)
    as_of: date
    built_at: datetime = timestamp(nullable=False)
