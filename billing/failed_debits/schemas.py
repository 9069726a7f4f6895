from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from billing.columns import RowId
from billing.fields import RequestDate
from billing.gateways.failures import FailureClass, FailureCode
from billing.mandates.models import MandateChannel
from billing.participants.models import Ecosystem

# Rupiah bounds of a filter: a BIGINT holds them, and no month owes more.
MAX_FILTER_RUPIAH = 10**12


class Outcome(StrEnum):
    failed = "failed"
    unknown = "unknown"  # the gateway has not answered yet: settled by lookup, never retried blindly


class SortKey(StrEnum):
    coverage = "coverage"  # the day coverage would end: the most urgent first
    participant = "participant"
    region = "region"
    channel = "channel"
    amount = "amount"
    month = "month"
    attempt = "attempt"
    failure = "failure"
    next_retry = "next_retry"
    attempted = "attempted"
    assignee = "assignee"
    contribution = "contribution"


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


Rupiah = Annotated[int, Field(ge=0, le=MAX_FILTER_RUPIAH)]
AttemptNo = Annotated[int, Field(ge=1, le=1000)]


class QueueFilter(BaseModel):
    """What selects months of the queue: the page's form, the API's query, a bulk action's selection."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(
        default=None,
        pattern=r"^\d{2}(\.\d{2})?$",
        description="Provinsi (19) atau kabupaten/kota (19.71) / Province (19) or regency (19.71)",
    )
    outcome: Outcome | None = Field(default=None, description="Hasil percobaan terakhir / Latest attempt's outcome")
    failure_class: FailureClass | None = None
    failure_code: FailureCode | None = None
    channel: MandateChannel | None = None
    gateway: str | None = Field(default=None, max_length=32, pattern=r"^[a-z0-9_-]+$")
    attempt_min: AttemptNo | None = Field(default=None, description="Percobaan ke- paling kecil / Lowest attempt no")
    attempt_max: AttemptNo | None = Field(default=None, description="Percobaan ke- paling besar / Highest attempt no")
    attempted_from: RequestDate | None = Field(default=None, description="Dicoba sejak / Attempted from (run day)")
    attempted_to: RequestDate | None = Field(default=None, description="Dicoba sampai / Attempted until, inclusive")
    amount_min: Rupiah | None = None
    amount_max: Rupiah | None = None
    sponsor_id: RowId | None = Field(default=None, description="Pernah disponsori / Ever sponsored by this sponsor")
    ecosystem: Ecosystem | None = None
    retry_from: RequestDate | None = Field(default=None, description="Coba lagi sejak / Next retry from")
    retry_to: RequestDate | None = Field(default=None, description="Coba lagi sampai / Next retry until, inclusive")
    stopped: bool | None = Field(
        default=None, description="Percobaan dihentikan (tanpa jadwal) / Retries stopped (nothing scheduled)"
    )
    assignee: str | None = Field(
        default=None,
        pattern=r"^(\d{1,9}|none|me)$",
        description="Id petugas, 'me' atau 'none' / A staff user id, 'me' or 'none' (unassigned)",
    )
    ends_within: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="Cakupan berakhir dalam N hari (belum berakhir) / Coverage ends within N days (not yet ended)",
    )

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for low, high in (
            ("attempt_min", "attempt_max"),
            ("attempted_from", "attempted_to"),
            ("amount_min", "amount_max"),
            ("retry_from", "retry_to"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} melebihi {high} / {low} is after {high}")
        return self

    def args(self) -> dict[str, str]:
        """As query-string arguments (the page's links, the bulk form's hidden fields)."""
        out = {}
        for name, value in self.model_dump(exclude_none=True).items():
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out


class QueueQuery(QueueFilter):
    sort: SortKey = SortKey.coverage
    order: Order = Order.asc
    cursor: str | None = Field(
        default=None, max_length=300, description="next_cursor halaman sebelumnya / The last page's next_cursor"
    )
    limit: int = Field(default=50, ge=1, le=200, description="Baris per halaman / Rows per page")

    def selection(self) -> QueueFilter:
        return QueueFilter.model_validate(self.model_dump(include=set(QueueFilter.model_fields)))


class QueueRow(BaseModel):
    contribution_id: int
    participant_id: int
    participant_name: str
    nik: str = Field(description="NIK tersamar / Masked NIK")
    region_code: str
    region_name: str | None
    ecosystem: Ecosystem
    channel: MandateChannel
    display: str = Field(description="Rekening atau dompet / Account or wallet, e.g. BRI ••••1234")
    gateway: str
    amount: int = Field(description="Sisa iuran bulan itu (rupiah) / What the month still owes (rupiah)")
    period: str = Field(description="YYYY-MM")
    attempt_id: int
    attempt_no: int
    attempted_on: date
    outcome: Outcome
    failure_code: str | None
    gateway_code: str | None = Field(description="Kode asli gateway / The gateway's own code, e.g. 4035414")
    failure_class: FailureClass | None
    failure_label_id: str
    failure_label_en: str
    next_retry_on: date | None = Field(description="Kosong bila dihentikan / Empty when stopped")
    stopped_reason: str | None = Field(description="Mengapa dihentikan / Why retries stopped")
    coverage_ends_on: date
    days_until_coverage_ends: int = Field(description="Negatif bila sudah berakhir / Negative once ended")
    assignee_id: int | None
    assignee_name: str | None


class QueueTotals(BaseModel):
    months: int = Field(description="Bulan (baris) tersaring / Months (rows) selected")
    participants: int
    amount: int = Field(description="Jumlah rupiah / Total rupiah")


class QueuePage(BaseModel):
    items: list[QueueRow]
    totals: QueueTotals
    next_cursor: str | None = Field(description="Kirim sebagai cursor untuk halaman berikut / Send as cursor for more")
