from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field


class Payer(StrEnum):
    """Who pays a contribution; tariff discounts depend on it (PP 50/2025 excludes government budgets)."""

    self = "self"
    sponsor_apbd = "sponsor_apbd"  # local or national government budget (APBD, APBN, DBH Sawit)
    sponsor_csr = "sponsor_csr"  # a company's CSR programme


class BudgetType(StrEnum):
    apbd = "apbd"
    apbn = "apbn"
    dbh_sawit = "dbh_sawit"
    csr = "csr"

    @property
    def payer(self) -> Payer:
        return Payer.sponsor_csr if self is BudgetType.csr else Payer.sponsor_apbd


class SponsorKind(StrEnum):
    pemda = "pemda"  # a local government
    company = "company"


class SponsorStatus(StrEnum):
    active = "active"
    stopped = "stopped"


class Sponsor(SQLModel, table=True):
    """A Pemda or a company paying the contributions of a list of participants."""

    __tablename__ = "sponsor"
    __table_args__ = (
        # Companies pay from CSR; governments from a public budget (drives the PP 50/2025 exclusion).
        CheckConstraint(
            "(kind = 'company' AND budget_type = 'csr') OR (kind = 'pemda' AND budget_type <> 'csr')",
            name="ck_sponsor_kind_budget",
        ),
        CheckConstraint(
            "(status = 'active' AND stopped_on IS NULL) OR (status = 'stopped' AND stopped_on IS NOT NULL)",
            name="ck_sponsor_stopped_on",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    kind: SponsorKind = enum_field(SponsorKind)
    budget_type: BudgetType = enum_field(BudgetType)
    region_code: str | None = Field(default=None, foreign_key="region.code", index=True, max_length=5)
    status: SponsorStatus = enum_field(SponsorStatus, default=SponsorStatus.active, index=True)
    stopped_on: date | None = None
    stop_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at()


class SponsorMember(SQLModel, table=True):
    """One participant's sponsorship, ``joined_on`` inclusive to ``left_on`` exclusive; rows are history."""

    __tablename__ = "sponsor_member"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="ck_sponsor_member_dates"),
        # At most one current sponsorship per participant; the database settles concurrent adds.
        Index(
            "uq_sponsor_member_current",
            "participant_id",
            unique=True,
            postgresql_where=text("left_on IS NULL"),
            sqlite_where=text("left_on IS NULL"),
        ),
    )

    id: int | None = big_pk()
    sponsor_id: int = Field(foreign_key="sponsor.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    joined_on: date
    left_on: date | None = None
