"""A contribution is one participant's bill for one month. Its state (due, paid, waived) is its own:
the participant's coverage state and the debit attempts live elsewhere."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, big_pk, created_at, enum_field, money, timestamp
from billing.sponsors.models import Payer
from billing.tariffs.models import Program


class ContributionStatus(StrEnum):
    due = "due"
    paid = "paid"
    waived = "waived"
    # Left unpaid by a membership that ended, found so at re-registration: not covered, never billed.
    lapsed = "lapsed"


class PaidVia(StrEnum):
    debit = "debit"
    offline = "offline"  # cash or transfer with a receipt (agent, branch office, prepayment)
    sponsor = "sponsor"
    credit = "credit"  # the participant's credit (money paid twice or too much before)


class Contribution(SQLModel, table=True):
    __tablename__ = "contribution"
    __table_args__ = (
        # One bill per participant and month; also the index for "this participant's contributions".
        UniqueConstraint("participant_id", "period", name="uq_contribution_participant_period"),
        # Room on each page and no index on the status: paying a contribution is then a heap-only
        # (HOT) update, which a run does a million times.
        {"postgresql_with": {"fillfactor": 85}},
    )

    id: int | None = big_pk()
    participant_id: int = Field(foreign_key="participant.id")
    period: date  # the month's first day
    amount_due: int = money()
    # What was paid towards it: the sum of its ledger postings (``status`` is ``paid`` once it reaches
    # ``amount_due``). Kept here so that planning a debit of the rest needs no ledger query.
    amount_paid: int = money(default=0, sa_column_kwargs={"server_default": "0"})
    due_date: date
    status: ContributionStatus = enum_field(ContributionStatus, default=ContributionStatus.due)
    payer: Payer = enum_field(Payer)
    sponsor_id: int | None = Field(default=None, foreign_key="sponsor.id", index=True)
    paid_via: PaidVia | None = enum_field(PaidVia, default=None, nullable=True)
    paid_on: date | None = None
    paid_at: datetime | None = timestamp()
    receipt_number: str | None = Field(default=None, max_length=40)
    waive_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at()


class ContributionLine(SQLModel, table=True):
    """The programme amounts behind ``Contribution.amount_due`` (they sum to it)."""

    __tablename__ = "contribution_line"

    contribution_id: int = Field(primary_key=True, foreign_key="contribution.id", sa_type=BIG_ID)
    program: Program = enum_field(Program, primary_key=True)
    base_amount: int = money()
    discount_amount: int = money()
    amount: int = money()
