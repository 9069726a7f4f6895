"""Report requests and the reports themselves: the JSON answer, and what the CSV, text, HTML and PDF
renderings are made from."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Format = Literal["json", "csv", "text", "html", "pdf"]
# Exact decimals inside, plain JSON numbers outside.
Pct = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    region: str | None = Field(
        default=None,
        pattern=r"^\d{2}(\.\d{2})?$",
        description="Provinsi (15) atau kabupaten/kota (19.71); kosong: seluruh Indonesia / "
        "Province (15) or regency/city (19.71); empty: the whole country",
    )
    first: Month = Field(alias="from", description="Bulan pertama / First month (YYYY-MM)")
    last: Month = Field(alias="to", description="Bulan terakhir / Last month (YYYY-MM)")
    format: Format | None = Field(
        default=None, description="json (bawaan / default), csv, text, html, pdf; html juga lewat Accept: text/html"
    )
    table: str | None = Field(default=None, max_length=20, description="Tabel untuk CSV / The table to export as CSV")


class Bilingual(BaseModel):
    id: str
    en: str


class RegionRef(BaseModel):
    code: str = Field(description="'' untuk seluruh Indonesia / '' for the whole country")
    name: str
    level: int = Field(description="0 negara, 1 provinsi, 2 kabupaten/kota / 0 country, 1 province, 2 regency")


class CoverageMonthOut(BaseModel):
    month: str
    participants: int
    active: int
    in_arrears: int
    potential_workers: int | None
    coverage_pct: Pct | None
    target_pct: Pct | None
    gap_pct: Pct | None = Field(description="Target dikurangi cakupan, poin / Target minus coverage, points")
    gap_participants: int | None = Field(description="Peserta aktif yang masih kurang / Active participants short")


class CoverageRegion(BaseModel):
    region: RegionRef
    months: list[CoverageMonthOut]
    trend_pp: Pct | None = Field(description="Perubahan cakupan bulan pertama → terakhir / Coverage change, points")


class CoverageReport(BaseModel):
    report: Literal["coverage"] = "coverage"
    region: RegionRef
    first_month: str
    last_month: str
    as_of: date = Field(description="Kejadian dihitung sampai tanggal ini / Events counted up to this date")
    regions: list[CoverageRegion] = Field(
        description="Wilayah yang diminta lalu bagiannya / The region, then its parts"
    )
    explanation: Bilingual


class Step(BaseModel):
    key: str
    sign: str
    label_id: str
    label_en: str
    count: int


class Check(BaseModel):
    opening: int
    ins: int
    outs: int
    computed_closing: int = Field(description="Awal + masuk − keluar / Opening + ins − outs")
    closing: int = Field(description="Dihitung terpisah dari status akhir bulan / Counted from month-end statuses")
    difference: int
    balanced: bool


class Moves(BaseModel):
    opening: int
    closing: int
    activated: int
    reactivated: int
    recovered: int
    entered_arrears: int
    ended: int
    cancelled: int
    sponsor_stopped: int
    ended_from_arrears: int
    ended_before_paying: int
    ins: int
    lapses: int = Field(description="Keluar dari aktif / Moves out of active")
    endings: int = Field(description="Kepesertaan berakhir, dari status apa pun / Memberships ended, from any status")


class Waterfall(BaseModel):
    steps: list[Step]
    info: list[Step]
    check: Check
    change: int
    change_pct: Pct | None


class BreakdownRow(Moves):
    value: str
    label_id: str
    label_en: str
    share_pct: Pct | None = Field(description="Bagian dari semua yang keluar dari aktif / Share of all lapses")


class Breakdown(BaseModel):
    dimension: str
    label_id: str
    label_en: str
    rows: list[BreakdownRow]


class RegionChange(Moves):
    region: RegionRef
    change: int
    share_of_change_pct: Pct | None


class CohortPoint(BaseModel):
    month: str
    months_since: int
    active: int
    retention_pct: Pct | None


class Cohort(BaseModel):
    cohort: str
    participants: int
    points: list[CohortPoint]


class AttemptRow(BaseModel):
    attempt_no: int
    attempts: int
    succeeded: int
    failed: int
    recovered_later: int
    success_pct: Pct | None


class Recovery(BaseModel):
    attempts: list[AttemptRow]
    failed_first: int = Field(description="Debit pertama yang gagal / First debits that failed")
    recovered: int = Field(description="…yang kemudian terbayar / …paid later")
    recovery_pct: Pct | None


class ChurnReport(BaseModel):
    report: Literal["churn"] = "churn"
    region: RegionRef
    first_month: str
    last_month: str
    opening_month: str
    as_of: date
    waterfall: Waterfall
    breakdowns: list[Breakdown]
    regions: list[RegionChange] = Field(description="Bagian wilayah, untuk provinsi dan nasional / Parts of the region")
    cohorts: list[Cohort]
    recovery: Recovery
    explanation: Bilingual
