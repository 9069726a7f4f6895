"""Who enrolled whom (and who asked for an enrolment code), the cash an agent collected (each collection
is a receipt and its commission line), and the cash an agent handed in (remittances)."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, big_pk, created_at, money


class AgentEnrolment(SQLModel, table=True):
    """The agent who enrolled a participant on the spot (one row per participant, never changed): whose
    worker they are on the agent's pages."""

    __tablename__ = "agent_enrolment"

    participant_id: int = Field(primary_key=True, foreign_key="participant.id")
    agent_id: int = Field(foreign_key="api_user.id", index=True)
    created_at: datetime = created_at()


class AgentEnrolmentRequest(SQLModel, table=True):
    """The agent who asked for an enrolment code: only they may confirm it (with the code the worker
    reads from their own phone)."""

    __tablename__ = "agent_enrolment_request"

    challenge_id: int = Field(sa_type=BIG_ID, foreign_key="otp_challenge.id", primary_key=True)
    agent_id: int = Field(foreign_key="api_user.id", index=True)
    created_at: datetime = created_at()


class AgentCollection(SQLModel, table=True):
    """Cash an agent took from one of their workers for one or more months: the receipt the system issued
    for it (the months it paid are the receipt's ledger transfers) and the commission it earned, at the
    rate in force that day (kept here: terms change)."""

    __tablename__ = "agent_collection"
    __table_args__ = (
        # The form's nonce: a double tap (or a reload of the POST) records the cash once.
        UniqueConstraint("agent_id", "nonce", name="uq_agent_collection_nonce"),
        CheckConstraint("amount > 0", name="ck_agent_collection_amount_positive"),
        CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="ck_agent_collection_commission_bp"),
    )

    id: int | None = big_pk()
    agent_id: int = Field(foreign_key="api_user.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    receipt_id: int = Field(sa_type=BIG_ID, foreign_key="receipt.id", unique=True)
    nonce: str = Field(max_length=32)
    amount: int = money()
    periods: list[str] = Field(sa_type=JSON)  # "2026-05", oldest first
    collected_on: date = Field(index=True)
    # Basis points of the amount (750 = 7.5%), and the commission in whole rupiah (rounded half up).
    commission_bp: int
    commission: int = money()
    created_at: datetime = created_at()


class AgentRemittance(SQLModel, table=True):
    """Cash an agent handed in, recorded by finance with the bank's reference: it leaves the agents' cash
    for the bank account (``remittance:<id>`` on the ledger)."""

    __tablename__ = "agent_remittance"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_agent_remittance_amount_positive"),)

    id: int | None = big_pk()
    agent_id: int = Field(foreign_key="api_user.id", index=True)
    amount: int = money()
    reference: str = Field(max_length=40)
    received_on: date
    recorded_by: int = Field(foreign_key="api_user.id")
    created_at: datetime = created_at()
