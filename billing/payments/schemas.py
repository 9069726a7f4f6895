from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from billing.fields import Rupiah
from billing.ledger.models import Account, TransferKind
from billing.payments.models import RefundMethod, RefundStatus


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Rupiah = Field(description="Rupiah dari saldo kredit / Rupiah of the credit balance")
    method: RefundMethod = Field(
        description="gateway: ke rekening asal pembayaran; cash: tunai di kantor cabang / gateway: back to the "
        "account it was debited from; cash: paid out at a branch"
    )
    reason: str = Field(min_length=3, max_length=200)
    receipt_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]*$",
        description="Wajib untuk tunai: kuitansi yang ditandatangani peserta / Required for cash: the receipt the "
        "participant signs",
    )


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    participant_id: int
    method: RefundMethod
    amount: int
    status: RefundStatus
    attempt_id: int | None
    gateway_reference: str | None
    receipt_number: str | None
    failure: str | None
    reason: str
    created_at: datetime
    resolved_at: datetime | None


class RefundList(BaseModel):
    items: list[RefundOut]


class CreditTransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: TransferKind
    debit_account: Account
    credit_account: Account
    amount: int
    contribution_id: int | None
    attempt_id: int | None
    refund_id: int | None
    posted_on: date


class CreditOut(BaseModel):
    participant_id: int
    balance: int = Field(description="Kredit yang belum dipakai (Rupiah) / Unapplied credit (rupiah)")
    transfers: list[CreditTransferOut] = Field(
        description="Riwayat kredit, terbaru dulu / Credit history, newest first"
    )
