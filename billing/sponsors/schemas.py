from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from billing.columns import RowId
from billing.contributions.models import ContributionStatus
from billing.contributions.schemas import Receipt
from billing.debits.models import AttemptStatus
from billing.fields import RequestDate, Rupiah
from billing.pagination import Page, PageQuery
from billing.regions.reference import is_region
from billing.sponsors.models import BudgetType, InvoiceStatus, SponsorKind, SponsorStatus
from billing.tariffs.schemas import Period

# One request adds at most this many members; a Pemda of 34,782 workers sends a few batches.
MAX_MEMBERS_PER_REQUEST = 10_000


def _region(code: str) -> str:
    if not is_region(code):
        raise ValueError(
            "kode provinsi atau kabupaten/kota Kemendagri tidak dikenal (contoh: 64 atau 64.74) / "
            "unknown Kemendagri province or regency/city code (e.g. 64 or 64.74)"
        )
    return code


RegionCode = Annotated[str, Field(pattern=r"^\d{2}(\.\d{2})?$", examples=["64.74"]), AfterValidator(_region)]


class SponsorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=120, examples=["Pemerintah Kota Bontang"])
    kind: SponsorKind
    budget_type: BudgetType = Field(description="csr untuk perusahaan / csr for companies")
    region_code: RegionCode | None = Field(
        default=None, validate_default=True, description="Wajib untuk pemda / Required for a pemda"
    )

    @field_validator("budget_type")
    @classmethod
    def _budget_fits_kind(cls, v: BudgetType, info: ValidationInfo) -> BudgetType:
        kind = info.data.get("kind")
        if kind is not None and (kind is SponsorKind.company) != (v is BudgetType.csr):
            raise ValueError(
                "perusahaan membayar dari csr, pemda dari apbd/apbn/dbh_sawit / "
                "a company pays from csr, a pemda from apbd/apbn/dbh_sawit"
            )
        return v

    @field_validator("region_code")
    @classmethod
    def _pemda_has_region(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None and info.data.get("kind") is SponsorKind.pemda:
            raise ValueError("pemda wajib punya region_code / a pemda needs a region_code")
        return v


class SponsorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: SponsorKind
    budget_type: BudgetType
    region_code: str | None
    status: SponsorStatus
    stopped_on: date | None
    stop_reason: str | None
    created_at: datetime
    member_count: int = Field(description="Peserta yang sedang disponsori / Currently sponsored participants")


class SponsorQuery(PageQuery):
    q: str | None = Field(default=None, max_length=120, description="Bagian dari nama / Part of the name")
    kind: SponsorKind | None = None
    budget_type: BudgetType | None = None
    region_code: str | None = Field(
        default=None, pattern=r"^\d{2}(\.\d{2})?$", description="Provinsi atau kabupaten/kota / Province or regency"
    )
    status: SponsorStatus | None = None


class SponsorPage(Page[SponsorOut]):
    pass


class SponsorPath(BaseModel):
    sponsor_id: RowId


class MemberPath(SponsorPath):
    participant_id: RowId


class MembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_ids: list[RowId] = Field(min_length=1, max_length=MAX_MEMBERS_PER_REQUEST, examples=[[1, 2, 3]])


class MembersAdded(BaseModel):
    sponsor_id: int
    added: list[int]
    already_members: list[int] = Field(description="Sudah anggota sponsor ini; tidak diubah / Unchanged")


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    participant_id: int
    full_name: str
    joined_on: date
    left_on: date | None


class MemberQuery(PageQuery):
    current: bool = Field(default=True, description="Hanya anggota saat ini / Only current members")


class MemberPage(Page[MemberOut]):
    pass


class SponsorStop(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=200, examples=["APBD 2026 tidak dianggarkan"])


class InvoicePath(SponsorPath):
    period: Period


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sponsor_id: int
    period: Period
    member_count: int = Field(description="Bulan peserta yang ditagihkan / Members' months billed")
    total: int = Field(description="Jumlah tagihan / Invoice total (rupiah)")
    amount_paid: int = Field(description="Uang diterima untuk tagihan ini / Money received for it")
    unapplied: int = Field(
        description="Uang diterima yang belum cukup untuk satu bulan peserta / Received, not yet enough for a month"
    )
    owed: int = Field(description="Sisa yang harus dibayar / What it still owes")
    status: InvoiceStatus
    created_at: datetime
    paid_at: datetime | None


class InvoicePage(Page[InvoiceOut]):
    pass


class InvoiceLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    contribution_id: int
    participant_id: int
    full_name: str
    amount_due: int
    amount_paid: int
    status: ContributionStatus


class InvoiceChargeOut(BaseModel):
    """A charge of the invoice through the sponsor's mandate."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    attempt_no: int
    idempotency_key: str
    amount: int
    status: AttemptStatus
    failure_code: str | None
    next_retry_on: date | None = Field(description="Dicoba lagi pada / Tried again on")
    cancel_reason: str | None
    created_at: datetime
    resolved_at: datetime | None


class InvoiceDetail(InvoiceOut):
    charges: list[InvoiceChargeOut] = Field(description="Penarikan lewat mandat / Charges through the mandate")
    lines: Page[InvoiceLineOut] = Field(
        description="Iuran peserta, urut id peserta (urutan pembayaran) / Members' months, by participant id "
        "(the order money is applied in)"
    )


class InvoicePaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    receipt_number: str = Receipt
    amount: Rupiah = Field(
        description="Rupiah ditransfer; paling banyak sisa tagihan / Rupiah transferred: at most what is owed",
        examples=[16800],
    )
    received_on: RequestDate
