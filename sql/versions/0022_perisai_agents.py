"""Perisai agents: who enrolled whom (agent_enrolment) and who asked for an enrolment code
(agent_enrolment_request), agents' cash collections with their commission
(agent_collection) and the cash they remit (agent_remittance)

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        "agent_enrolment",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index("ix_agent_enrolment_agent_id", "agent_enrolment", ["agent_id"])

    op.create_table(
        "agent_enrolment_request",
        sa.Column("challenge_id", _BIG_ID, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["challenge_id"], ["otp_challenge.id"]),
        sa.PrimaryKeyConstraint("challenge_id"),
    )
    op.create_index("ix_agent_enrolment_request_agent_id", "agent_enrolment_request", ["agent_id"])

    op.create_table(
        "agent_collection",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", _BIG_ID, nullable=False),
        sa.Column("nonce", _str(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("commission", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_agent_collection_amount_positive"),
        sa.CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="ck_agent_collection_commission_bp"),
        sa.ForeignKeyConstraint(["agent_id"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipt.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "nonce", name="uq_agent_collection_nonce"),
        sa.UniqueConstraint("receipt_id"),
    )
    op.create_index("ix_agent_collection_agent_id", "agent_collection", ["agent_id"])
    op.create_index("ix_agent_collection_participant_id", "agent_collection", ["participant_id"])
    op.create_index("ix_agent_collection_collected_on", "agent_collection", ["collected_on"])

    op.create_table(
        "agent_remittance",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", _str(40), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_agent_remittance_amount_positive"),
        sa.ForeignKeyConstraint(["agent_id"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["api_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_remittance_agent_id", "agent_remittance", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_agent_remittance_agent_id", table_name="agent_remittance")
    op.drop_table("agent_remittance")
    op.drop_index("ix_agent_collection_collected_on", table_name="agent_collection")
    op.drop_index("ix_agent_collection_participant_id", table_name="agent_collection")
    op.drop_index("ix_agent_collection_agent_id", table_name="agent_collection")
    op.drop_table("agent_collection")
    op.drop_index("ix_agent_enrolment_request_agent_id", table_name="agent_enrolment_request")
    op.drop_table("agent_enrolment_request")
    op.drop_index("ix_agent_enrolment_agent_id", table_name="agent_enrolment")
    op.drop_table("agent_enrolment")
