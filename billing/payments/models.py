"""Money that reaches us other than by a debit (receipts), and money we pay back (refunds)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field, money, timestamp


class ReceiptChannel(StrEnum):
    """Where the money was received; a receipt number is unique per channel."""

    agent = "agent"  # cash collected by a Perisai agent
    branch = "branch"  # cash or a transfer at a BPJS branch office
    bank_transfer = "bank_transfer"  # a transfer into BPJS's account (a worker or a sponsor)
    history = "history"  # months paid before this service ran (imported history)


class Receipt(SQLModel, table=True):
    """A sum received with its receipt number, paying one or more months (its ledger transfers say
    which); recorded by staff, never by the payer."""

    __tablename__ = "receipt"
    __table_args__ = (
        UniqueConstraint("channel", "number", name="uq_receipt_channel_number"),
        CheckConstraint("amount > 0", name="ck_receipt_amount_positive"),
    )

    id: int | None = big_pk()
    channel: ReceiptChannel = enum_field(ReceiptChannel)
    number: str = Field(max_length=40)
    amount: int = money()
    received_on: date
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    sponsor_id: int | None = Field(default=None, foreign_key="sponsor.id", index=True)
    # An API user's id, or "system".
    recorded_by: str = Field(max_length=40)
    created_at: datetime = created_at()


class RefundMethod(StrEnum):
    gateway = "gateway"  # back to the account the money was debited from
    cash = "cash"  # paid out in cash by a branch or agent, with a receipt number


class RefundStatus(StrEnum):
    requested = "requested"  # credit set aside; the gateway has not answered yet
    succeeded = "succeeded"
    failed = "failed"  # the money is credit again


class Refund(SQLModel, table=True):
    """Credit paid back to a participant. A gateway refund names the charge (the debit attempt) it
    goes back through and never exceeds what is left of that charge; its idempotency key is unique."""

    __tablename__ = "refund"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_refund_idempotency_key"),
        CheckConstraint("amount > 0", name="ck_refund_amount_positive"),
    )

    id: int | None = big_pk()
    participant_id: int = Field(foreign_key="participant.id", index=True)
    method: RefundMethod = enum_field(RefundMethod)
    amount: int = money()
    status: RefundStatus = enum_field(RefundStatus, default=RefundStatus.requested)
    # Gateway refunds: the charge refunded and the gateway's refund id.
    attempt_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    gateway: str | None = Field(default=None, max_length=40)
    gateway_reference: str | None = Field(default=None, max_length=80)
    idempotency_key: str = Field(max_length=64)
    # Cash refunds: the receipt the participant signed.
    receipt_number: str | None = Field(default=None, max_length=40)
    failure: str | None = Field(default=None, max_length=200)
    reason: str = Field(max_length=200)
    requested_by: str = Field(max_length=40)
    created_at: datetime = created_at()
    resolved_at: datetime | None = timestamp()
