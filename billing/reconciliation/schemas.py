from datetime import date, datetime
from typing import Annotated

from flask_openapi3 import FileStorage
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from billing.columns import BIGINT_MAX, INT_MAX, RowId
from billing.fields import RequestDate
from billing.reconciliation.models import (
    BookSource,
    ItemKind,
    Note,
    ReconciliationImport,
    ReconciliationItem,
    SettlementFormat,
)
from billing.reconciliation.service import ItemFilter

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class UploadForm(BaseModel):
    """multipart/form-data: the file, and optionally its format and gateway."""

    model_config = ConfigDict(extra="forbid")

    file: FileStorage = Field(description="Berkas CSV / The CSV file")
    format: SettlementFormat | None = Field(default=None, description="Bawaan: dari kepala kolom / From the header")
    gateway: str | None = Field(
        default=None, max_length=32, description="Bawaan: stripe, atau gateway layanan / Default: stripe, or ours"
    )


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: int | None = Field(
        default=None, ge=1, le=INT_MAX, description="next_cursor halaman sebelumnya / The last page's next_cursor"
    )
    limit: int = Field(default=50, ge=1, le=200, description="Baris per halaman / Rows per page")


class ItemQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: ItemKind | None = Field(default=None, description="Jenis ketidakcocokan / Kind of mismatch")
    import_id: RowId | None = Field(default=None, description="Impor / Import")
    since: RequestDate | None = Field(default=None, alias="from", description="Dari tanggal / From day")
    until: RequestDate | None = Field(default=None, alias="to", description="Sampai tanggal / To day, inclusive")
    resolved: bool | None = Field(default=None, description="Sudah diselesaikan? / Resolved or open")
    cursor: int | None = Field(
        default=None, ge=1, le=BIGINT_MAX, description="next_cursor halaman sebelumnya / The last page's next_cursor"
    )
    limit: int = Field(default=50, ge=1, le=200, description="Baris per halaman / Rows per page")

    def to_filter(self) -> ItemFilter:
        return ItemFilter(self.kind, self.import_id, self.since, self.until, self.resolved)


class ResolveBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Dana masuk hari berikutnya"}]}
    )

    reason: Reason = Field(description="Alasan, wajib / Reason, required")


class ImportOut(BaseModel):
    id: int
    filename: str
    sha256: str
    format: SettlementFormat
    gateway: str
    first_day: date
    last_day: date
    lines: int = Field(description="Baris dalam berkas / Lines in the file")
    new_lines: int = Field(description="Baris baru / Lines stored now")
    repeated: int = Field(description="Baris dari impor sebelumnya / Lines an earlier file brought")
    matched: int
    file_only: int = Field(description="Di berkas, tidak di buku / In the file, not in our books")
    amount_differs: int
    other: int = Field(description="Bukan tagihan (biaya, payout…) / Not a charge (fees, payouts…)")
    books_only: int = Field(description="Di buku, tidak di berkas mana pun / In our books, in no file")
    closed: int = Field(description="Butir lama yang ditutup berkas ini / Earlier items this file closed")
    user_id: int | None
    channel: str
    imported_at: datetime

    @classmethod
    def of(cls, row: ReconciliationImport) -> "ImportOut":
        return cls.model_validate(row, from_attributes=True)


class ImportUploaded(ImportOut):
    duplicate: bool = Field(description="Berkas yang sama sudah diimpor: tidak ada yang berubah / Imported before")


class ImportPage(BaseModel):
    items: list[ImportOut]
    next_cursor: int | None


class ItemOut(BaseModel):
    id: int
    kind: ItemKind
    import_id: int
    line_id: int | None
    gateway: str
    reference: str | None
    idempotency_key: str | None
    day: date
    file_amount: int | None = Field(description="Rupiah di berkas / Rupiah in the file")
    books_amount: int | None = Field(description="Rupiah di buku kita / Rupiah in our books")
    source: BookSource | None = Field(description="debit: debit_attempt; invoice: sponsor_invoice_attempt")
    book_id: int | None
    participant_id: int | None
    note: Note | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: int | None
    resolution: str | None

    @classmethod
    def of(cls, row: ReconciliationItem) -> "ItemOut":
        return cls.model_validate(row, from_attributes=True)


class ItemPage(BaseModel):
    items: list[ItemOut]
    next_cursor: int | None
