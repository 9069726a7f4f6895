from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from billing.columns import BigRowId
from billing.contributions.models import ContributionStatus, PaidVia
from billing.fields import JsonInt, RequestDate, Rupiah
from billing.pagination import Page, PageQuery
from billing.participants.models import CoverageStatus
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


class StaffReceiptChannel(StrEnum):
    """Where staff received the money (``history`` is for imports only)."""

    agent = "agent"
    branch = "branch"
    bank_transfer = "bank_transfer"


class ReceivedMoney(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    receipt_number: str = Receipt
    channel: StaffReceiptChannel = Field(
        default=StaffReceiptChannel.branch,
        description="Tempat uang diterima; nomor kuitansi unik per kanal / Where it was received; receipt numbers "
        "are unique per channel",
    )
    amount: Rupiah = Field(
        description="Rupiah diterima; harus sama dengan yang terutang / Rupiah received: must equal what is owed",
        examples=[16800],
    )


class PrepaymentCreate(ReceivedMoney):
    months: JsonInt = Field(ge=1, le=12, description="Jumlah bulan dibayar di muka / Months paid ahead")
    paid_on: RequestDate | None = Field(default=None, description="Default: hari ini / today")


class OfflinePaymentCreate(ReceivedMoney):
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
    amount_paid: int
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
    # Set on the answer to a payment or waiver: the participant's coverage right after it.
    participant_status: CoverageStatus | None = None


class ContributionPage(Page[ContributionOut]):
    pass


class PrepaymentOut(BaseModel):
    items: list[ContributionOut]
    total_paid: int
    participant_status: CoverageStatus
