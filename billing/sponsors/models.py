from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field, money, timestamp
from billing.debits.models import AttemptStatus


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


class InvoiceStatus(StrEnum):
    open = "open"
    paid = "paid"
    void = "void"  # no member month is billed to it any more (the sponsor stopped before paying)


class SponsorInvoice(SQLModel, table=True):
    """A sponsor's bill for one month. Its lines are its members' contributions of that month with the
    sponsor as payer (``contribution.sponsor_id``), each priced at generation at the sponsor's tariff;
    ``member_count`` and ``total`` are their count and sum, refreshed while the invoice is open."""

    __tablename__ = "sponsor_invoice"
    __table_args__ = (
        UniqueConstraint("sponsor_id", "period", name="uq_sponsor_invoice_sponsor_period"),
        CheckConstraint("unapplied >= 0 AND unapplied <= amount_paid", name="ck_sponsor_invoice_unapplied"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sponsor_id: int = Field(foreign_key="sponsor.id")
    period: date  # the month's first day
    member_count: int
    total: int = money()
    # Money received for it (transfers and charges); ``unapplied`` is the part too small to pay the next
    # member's month, held on the sponsor's ledger account until the next payment.
    amount_paid: int = money(default=0)
    unapplied: int = money(default=0)
    status: InvoiceStatus = enum_field(InvoiceStatus, default=InvoiceStatus.open)
    created_at: datetime = created_at()
    paid_at: datetime | None = timestamp()


class InvoiceAttempt(SQLModel, table=True):
    """One charge of an invoice through the sponsor's mandate, written (with its unique key
    ``inv<invoice>-<n>``) before the gateway is called; ``sent_at`` is set just before the call, so an
    attempt found sent but unresolved is asked about at the gateway, never charged anew. A failed one
    keeps its code and, when the failure class allows, the day it is tried again (``next_retry_on``)."""

    __tablename__ = "sponsor_invoice_attempt"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_sponsor_invoice_attempt_key"),
        UniqueConstraint("invoice_id", "attempt_no", name="uq_sponsor_invoice_attempt_no"),
    )

    id: int | None = big_pk()
    invoice_id: int = Field(foreign_key="sponsor_invoice.id")
    mandate_id: int = Field(foreign_key="mandate.id")
    attempt_no: int
    amount: int = money()
    idempotency_key: str = Field(max_length=64)
    gateway: str = Field(max_length=32)
    payment_method: str = Field(max_length=255)
    status: AttemptStatus = enum_field(AttemptStatus, default=AttemptStatus.pending, index=True)
    failure_code: str | None = Field(default=None, max_length=40)
    gateway_reference: str | None = Field(default=None, max_length=80)
    next_retry_on: date | None = None
    retry_at: datetime | None = timestamp()  # an unknown outcome is asked about again from then
    cancel_reason: str | None = Field(default=None, max_length=40)
    created_at: datetime = created_at()
    sent_at: datetime | None = timestamp()
    resolved_at: datetime | None = timestamp()
