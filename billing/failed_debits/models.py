from datetime import date, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, enum_field, money, timestamp
from billing.debits.models import AttemptStatus
from billing.mandates.models import MandateChannel
from billing.participants.models import Ecosystem


class FailedDebit(SQLModel, table=True):
    """The queue: one row per due month whose latest answered debit attempt (succeeded, failed or
    unknown; pending and cancelled ones are not answers) failed or is unknown, with what finance
    filters and sorts by. A projection of contribution, debit_attempt, debit_schedule, participant and
    mandate rows,
    kept in step by ``billing.failed_debits.sync`` wherever those change; counting and summing a
    filtered queue then reads this narrow table alone, not a million attempts.

    No foreign keys: every row is rebuilt from its sources, which hold the references."""

    __tablename__ = "failed_debit"

    contribution_id: int = Field(sa_type=BIG_ID, primary_key=True)
    participant_id: int = Field(index=True)
    full_name: str = Field(max_length=120)
    region_code: str = Field(max_length=5, index=True)
    ecosystem: Ecosystem = enum_field(Ecosystem)
    period: date
    amount: int = money()  # what the month still owes
    attempt_id: int = Field(sa_type=BigInteger)
    attempt_no: int
    mandate_id: int  # the attempt's: its display (BRI ••••1234) is read from there when shown
    outcome: AttemptStatus = enum_field(AttemptStatus)  # failed or unknown
    failure_code: str | None = Field(default=None, max_length=40)
    gateway_code: str | None = Field(default=None, max_length=40)  # the gateway's own, e.g. 4035414
    gateway: str = Field(max_length=32)
    channel: MandateChannel = enum_field(MandateChannel)
    attempted_on: date  # the business day of the attempt's run
    # The retry schedule (billing.debits.models.DebitSchedule): the next try, or why there is none.
    next_retry_on: date | None = None
    stopped_reason: str | None = Field(default=None, max_length=40)
    # The participant's oldest unpaid month of the current membership: coverage ends, by the arrears
    # rule, on that month's due date ``arrears_months`` later (billing.coverage.evaluation.ends_on).
    unpaid_from: date


class CaseAssignment(SQLModel, table=True):
    """Who in finance works on a month's failed debit: one assignee a month. Unassigning deletes the
    row; the audit trail keeps the history."""

    __tablename__ = "case_assignment"

    contribution_id: int = Field(sa_type=BIG_ID, foreign_key="contribution.id", primary_key=True)
    assignee_id: int = Field(foreign_key="api_user.id", index=True)
    assigned_by: int = Field(foreign_key="api_user.id")
    assigned_at: datetime = timestamp(nullable=False)
