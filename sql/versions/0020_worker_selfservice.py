"""worker self-service: one-time codes (otp_challenge), auto-debit consents and their gateway binding
(mandate_consent), and workers' one-off payments (one_off_payment, each a debit attempt)

Revision ID: 0020
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        "otp_challenge",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("subject", _str(64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("code_hash", _str(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_ip", _str(45), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_otp_challenge_subject_at", "otp_challenge", ["subject", "created_at"])
    op.create_index("ix_otp_challenge_ip_at", "otp_challenge", ["source_ip", "created_at"])

    op.create_table(
        "mandate_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=5), nullable=False),
        sa.Column("text_version", _str(20), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_ip", _str(45), nullable=True),
        sa.Column("gateway", _str(40), nullable=False),
        sa.Column("channel", sa.String(length=7), nullable=False),
        sa.Column("provider", _str(40), nullable=False),
        sa.Column("debit_day", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("setup_reference", _str(80), nullable=True),
        sa.Column("status", sa.String(length=7), nullable=False),
        sa.Column("failure", _str(200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("debit_day BETWEEN 1 AND 15", name="ck_mandate_consent_debit_day"),
        sa.ForeignKeyConstraint(["mandate_id"], ["mandate.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mandate_consent_participant_id", "mandate_consent", ["participant_id"])

    op.create_table(
        "one_off_payment",
        sa.Column("attempt_id", _BIG_ID, nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_ip", _str(45), nullable=True),
        sa.ForeignKeyConstraint(["attempt_id"], ["debit_attempt.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("attempt_id"),
    )
    op.create_index("ix_one_off_payment_participant_id", "one_off_payment", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_one_off_payment_participant_id", table_name="one_off_payment")
    op.drop_table("one_off_payment")
    op.drop_index("ix_mandate_consent_participant_id", table_name="mandate_consent")
    op.drop_table("mandate_consent")
    op.drop_index("ix_otp_challenge_ip_at", table_name="otp_challenge")
    op.drop_index("ix_otp_challenge_subject_at", table_name="otp_challenge")
    op.drop_table("otp_challenge")
