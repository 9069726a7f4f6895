from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, TextClause, text
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, enum_field, money, timestamp
from billing.columns import created_at as stamped_now


class MandateStatus(StrEnum):
    pending = "pending"  # consent given, not yet confirmed by the gateway/OTP
    active = "active"
    suspended = "suspended"
    revoked = "revoked"
    expired = "expired"


# A live mandate may still be charged or come back; closed ones are history.
LIVE_STATUSES = (MandateStatus.pending, MandateStatus.active, MandateStatus.suspended)


class MandateChannel(StrEnum):
    bank = "bank"
    ewallet = "ewallet"


class ConsentSource(StrEnum):
    web = "web"
    agent = "agent"  # a Perisai agent, the worker confirming with a code sent to their own phone
    api = "api"
    self_service = "self"  # the worker themself, on the self-service pages


def _live_only() -> TextClause:
    return text("status IN ({})".format(", ".join(f"'{s.value}'" for s in LIVE_STATUSES)))


class Mandate(SQLModel, table=True):
    """An auto-debit authorisation of a participant or of a sponsor (one charge for all its members).
    ``payment_method`` is the gateway's token: a raw account number is never stored."""

    __tablename__ = "mandate"
    __table_args__ = (
        CheckConstraint(
            "(participant_id IS NOT NULL AND sponsor_id IS NULL) OR "
            "(participant_id IS NULL AND sponsor_id IS NOT NULL)",
            name="ck_mandate_one_owner",
        ),
        # On or before the 15th, when a month's contribution is due (debit days past it were moved by 0014).
        CheckConstraint("debit_day BETWEEN 1 AND 15", name="ck_mandate_debit_day"),
        Index(
            "uq_mandate_live_participant",
            "participant_id",
            unique=True,
            postgresql_where=_live_only(),
            sqlite_where=_live_only(),
        ),
        Index(
            "uq_mandate_live_sponsor",
            "sponsor_id",
            unique=True,
            postgresql_where=_live_only(),
            sqlite_where=_live_only(),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    sponsor_id: int | None = Field(default=None, foreign_key="sponsor.id", index=True)
    gateway: str = Field(max_length=40)
    payment_method: str = Field(max_length=255)
    channel: MandateChannel = enum_field(MandateChannel)
    display: str = Field(max_length=40)
    debit_day: int
    status: MandateStatus = enum_field(MandateStatus, default=MandateStatus.pending)
    # Why it is in its status, e.g. the failure code that suspended it.
    status_reason: str | None = Field(default=None, max_length=200)
    consent_at: datetime = timestamp(nullable=False)
    consent_source: ConsentSource = enum_field(ConsentSource)
    created_at: datetime = stamped_now()
    updated_at: datetime = stamped_now()
    revoked_at: datetime | None = timestamp(default=None)


class MandateEvent(SQLModel, table=True):
    """Append-only audit trail of a mandate: its creation (``from_status`` NULL), every status change,
    and every change of its payment details (same status, reason names the fields)."""

    __tablename__ = "mandate_event"

    id: int | None = big_pk()
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    from_status: MandateStatus | None = enum_field(MandateStatus, default=None, nullable=True)
    to_status: MandateStatus = enum_field(MandateStatus)
    reason: str | None = Field(default=None, max_length=200)
    # An API user's id, or "system" for the debit engine.
    actor: str = Field(max_length=40)
    # The business date (jobs run with "today" as a parameter); created_at is the wall clock.
    occurred_on: date
    created_at: datetime = stamped_now()


class ConsentStatus(StrEnum):
    pending = "pending"  # handed to the gateway; the payer has not confirmed there yet
    bound = "bound"  # the gateway confirmed: the mandate carries the new payment method
    failed = "failed"  # refused or abandoned at the gateway: the mandate is as it was


class MandateConsent(SQLModel, table=True):
    """A worker's authorisation of the auto-debit as it was given (the text version shown, when, from
    which address, through whom) and the binding it started at the gateway. The mandate is created,
    or given the new payment method, only once the gateway confirms the binding."""

    __tablename__ = "mandate_consent"
    __table_args__ = (CheckConstraint("debit_day BETWEEN 1 AND 15", name="ck_mandate_consent_debit_day"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    mandate_id: int | None = Field(default=None, foreign_key="mandate.id")  # once bound
    source: ConsentSource = enum_field(ConsentSource)
    text_version: str = Field(max_length=20)
    given_at: datetime = timestamp(nullable=False)
    source_ip: str | None = Field(default=None, max_length=45)
    gateway: str = Field(max_length=40)
    channel: MandateChannel = enum_field(MandateChannel)
    provider: str = Field(max_length=40)  # the bank or e-wallet chosen, e.g. BRI, GoPay
    debit_day: int
    amount: int = money()  # the monthly amount the text named
    setup_reference: str | None = Field(default=None, max_length=80)  # the gateway's id of the binding
    status: ConsentStatus = enum_field(ConsentStatus, default=ConsentStatus.pending)
    failure: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = timestamp()
