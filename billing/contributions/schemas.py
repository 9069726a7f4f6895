from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from billing.columns import BigRowId
from billing.contributions.models import ContributionStatus, PaidVia
from billing.fields import JsonInt, RequestDate
from billing.pagination import Page, PageQuery
from billing.participants.schemas import Program
from billing.sponsors.models import Payer
from billing.tariffs.schemas import Period

Receipt = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]*$", examples=["KW-2026-000123"])


class ContributionQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    status: ContributionStatus | None = None
    year: int | None = Field(default=None, ge=2015, le=2100)


class ContributionPath(BaseModel):
    contribution_id: BigRowId


class PrepaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    months: JsonInt = Field(ge=1, le=12, description="Jumlah bulan dibayar di muka / Months paid ahead")
    receipt_number: str = Receipt


class OfflinePaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    receipt_number: str = Receipt
    paid_on: RequestDate


class WaiveCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=200)


class ContributionLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program: Program
    base_amount: int
    discount_amount: int
    amount: int


class ContributionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    participant_id: int
    period: Period
    amount_due: int
    due_date: date
    status: ContributionStatus
    payer: Payer
    sponsor_id: int | None
    paid_via: PaidVia | None
    paid_on: date | None
    paid_at: datetime | None
    receipt_number: str | None
    waive_reason: str | None
    lines: list[ContributionLineOut] = []


class ContributionPage(Page[ContributionOut]):
    pass


class PrepaymentOut(BaseModel):
    items: list[ContributionOut]
    total_paid: int
