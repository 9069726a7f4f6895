"""One-time codes sent to a worker's phone: to sign in, or to prove a phone number is theirs (online
enrolment, an agent's). Only an HMAC of each code is stored; the NIK or number the code was asked
for is kept as an HMAC too (``subject``), so the limits count per person without keeping what
strangers typed."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field, timestamp


class OtpPurpose(StrEnum):
    sign_in = "sign_in"  # a worker signing in with their NIK or registered phone
    verify_phone = "verify_phone"  # a phone number shown to be the enrolling worker's


class OtpChallenge(SQLModel, table=True):
    """One code sent (or, for a NIK or number we do not know, one that was never sent: the answers and
    the limits are the same, so they tell nobody whether someone is enrolled)."""

    __tablename__ = "otp_challenge"
    __table_args__ = (
        Index("ix_otp_challenge_subject_at", "subject", "created_at"),
        Index("ix_otp_challenge_ip_at", "source_ip", "created_at"),
    )

    id: int | None = big_pk()
    purpose: OtpPurpose = enum_field(OtpPurpose)
    subject: str = Field(max_length=64)  # HMAC of the NIK or phone number asked for
    # Whom a sign-in code opens; None when the NIK or number is not enrolled (nothing was sent).
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    code_hash: str = Field(max_length=64)
    created_at: datetime = created_at()
    expires_at: datetime = timestamp(nullable=False)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # wrong codes tried
    verified_at: datetime | None = timestamp()  # used: the same code never works twice
    source_ip: str | None = Field(default=None, max_length=45)
    # What the code confirms, e.g. the enrolment form it was sent for (read back once it is verified).
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)
