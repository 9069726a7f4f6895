from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

from billing.columns import created_at, enum_field, money


class Ecosystem(StrEnum):
    desa = "desa"
    pasar = "pasar"
    ecommerce_umkm = "ecommerce_umkm"
    rentan = "rentan"


class SectorCategory(StrEnum):
    """Tariff discounts depend on the category (``transport`` has its own PP 50/2025 window)."""

    transport = "transport"
    perdagangan = "perdagangan"
    pertanian = "pertanian"
    perikanan = "perikanan"
    konstruksi = "konstruksi"
    pariwisata = "pariwisata"
    pemerintahan_desa = "pemerintahan_desa"
    jasa = "jasa"
    lainnya = "lainnya"


class CoverageStatus(StrEnum):
    """The participant's coverage state; contributions and debit attempts keep their own states."""

    registered = "registered"  # enrolled, first month not yet paid
    active = "active"
    in_arrears = "in_arrears"
    ended = "ended"
    cancelled = "cancelled"


class EnrolmentSource(StrEnum):
    web = "web"
    agent = "agent"
    api = "api"


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    __table_args__ = (CheckConstraint("declared_income > 0", name="ck_participant_income_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    nik: str = Field(max_length=16, unique=True)
    full_name: str = Field(max_length=120)
    phone: str = Field(max_length=16)
    gender: str = Field(max_length=1)
    birth_date: date
    region_code: str = Field(foreign_key="region.code", index=True, max_length=5)
    ecosystem: Ecosystem = enum_field(Ecosystem, index=True)
    sector: str = Field(max_length=80)
    sector_category: SectorCategory = enum_field(SectorCategory)
    declared_income: int = Field(sa_type=BigInteger)
    jht: bool = False
    status: CoverageStatus = enum_field(CoverageStatus, default=CoverageStatus.registered, index=True)
    enrolment_source: EnrolmentSource = enum_field(EnrolmentSource, default=EnrolmentSource.api)
    enrolled_on: date
    # The first day of the current membership's first month: the enrolment month, or the month of the
    # latest re-registration. Months before it belong to an ended membership: never billed again.
    membership_from: date
    created_at: datetime = created_at()

    @property
    def programs(self) -> list[str]:
        return ["JKK", "JKM", "JHT"] if self.jht else ["JKK", "JKM"]


class ParticipantProfileChange(SQLModel, table=True):
    """A declared income or programme choice and the month it prices from. The month's price uses the
    latest change in force for it (the newest row wins among equal months); a participant without
    changes is priced by their own columns, which always hold the latest declaration."""

    __tablename__ = "participant_profile_change"
    __table_args__ = (
        CheckConstraint("declared_income > 0", name="ck_profile_change_income_positive"),
        Index("ix_profile_change_participant_month", "participant_id", "effective_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id")
    effective_from: date  # a month's first day
    declared_income: int = money()
    jht: bool
    changed_by: str = Field(max_length=40)  # "user:<id>", or "enrolment" for the profile held before
    created_at: datetime = created_at()

    @property
    def programs(self) -> list[str]:
        return ["JKK", "JKM", "JHT"] if self.jht else ["JKK", "JKM"]
