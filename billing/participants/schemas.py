from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from billing.columns import RowId
from billing.fields import JsonInt
from billing.pagination import Page, PageQuery
from billing.participants.identity import check_nik, normalise_phone
from billing.participants.models import CoverageStatus, Ecosystem, EnrolmentSource, SectorCategory
from billing.regions.reference import is_regency

Program = Literal["JKK", "JKM", "JHT"]


def _regency(code: str) -> str:
    if not is_regency(code):
        raise ValueError(
            "kode kabupaten/kota Kemendagri tidak dikenal (contoh: 19.71) / "
            "unknown Kemendagri regency/city code (e.g. 19.71)"
        )
    return code


RegencyCode = Annotated[str, Field(pattern=r"^\d{2}\.\d{2}$", examples=["19.71"]), AfterValidator(_regency)]


def programs_to_jht(programs: list[str]) -> bool:
    chosen = set(programs)
    if len(chosen) != len(programs) or chosen not in ({"JKK", "JKM"}, {"JKK", "JKM", "JHT"}):
        raise ValueError('pilih ["JKK","JKM"] atau ["JKK","JKM","JHT"] / choose ["JKK","JKM"] or ["JKK","JKM","JHT"]')
    return "JHT" in chosen


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nik: str = Field(examples=["1971015508950001"], description="NIK, 16 digit / 16-digit national ID")
    full_name: str = Field(min_length=2, max_length=120)
    phone: str = Field(examples=["081234567890"])
    region_code: RegencyCode
    ecosystem: Ecosystem
    sector: str = Field(min_length=2, max_length=80, examples=["pedagang pasar"])
    sector_category: SectorCategory
    declared_income: JsonInt = Field(gt=0, le=1_000_000_000, description="Rupiah per bulan / Rupiah per month")
    programs: list[Program] = Field(examples=[["JKK", "JKM"]])
    enrolment_source: EnrolmentSource = EnrolmentSource.api

    @field_validator("nik")
    @classmethod
    def _nik(cls, v: str) -> str:
        return check_nik(v).value

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return normalise_phone(v)

    @field_validator("programs")
    @classmethod
    def _programs(cls, v: list[str]) -> list[str]:
        programs_to_jht(v)
        return v


class ParticipantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    nik: str
    full_name: str
    phone: str
    gender: str
    birth_date: date
    region_code: str
    ecosystem: Ecosystem
    sector: str
    sector_category: SectorCategory
    declared_income: int
    programs: list[Program]
    status: CoverageStatus
    enrolment_source: EnrolmentSource
    enrolled_on: date
    membership_from: date
    created_at: datetime


class ParticipantQuery(PageQuery):
    region_code: str | None = Field(default=None, description="Kabupaten/kota atau provinsi / Regency or province")
    ecosystem: Ecosystem | None = None
    status: CoverageStatus | None = None


class ParticipantPath(BaseModel):
    participant_id: RowId


class ParticipantPage(Page[ParticipantOut]):
    pass


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=200)


class ProfileChangeBody(BaseModel):
    """A new declared income, programme choice, or both, from a month not yet generated or still due."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    declared_income: JsonInt | None = Field(
        default=None, gt=0, le=1_000_000_000, description="Rupiah per bulan / Rupiah per month"
    )
    programs: list[Program] | None = Field(default=None, examples=[["JKK", "JKM", "JHT"]])
    effective_from: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-01"], description="YYYY-MM")

    @field_validator("declared_income", "programs", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("tidak boleh null; hilangkan kolomnya / must not be null; leave the field out")
        return v

    @field_validator("programs")
    @classmethod
    def _programs(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            programs_to_jht(v)
        return v

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.declared_income is None and self.programs is None:
            raise ValueError("kirim declared_income, programs, atau keduanya / send declared_income, programs, or both")
        return self

    @property
    def month(self) -> date:
        return date(int(self.effective_from[:4]), int(self.effective_from[5:7]), 1)


class ProfileChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    participant_id: int
    effective_from: date
    declared_income: int
    programs: list[Program]
    changed_by: str
    created_at: datetime


class ProfileChangeResult(ProfileChangeOut):
    repriced: list[date] = Field(description="Bulan yang dihitung ulang / Generated months priced again")


class ProfileChangeList(BaseModel):
    items: list[ProfileChangeOut]
