"""Contributions: one bill per participant and month, and its programme lines.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contribution",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("amount_due", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("payer", sa.String(length=12), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("paid_via", sa.String(length=7), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("waive_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["sponsor_id"], ["sponsor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "period", name="uq_contribution_participant_period"),
        postgresql_with={"fillfactor": 85},
    )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_sponsor_id"), ["sponsor_id"], unique=False)

    op.create_table(
        "contribution_line",
        sa.Column("contribution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("program", sa.String(length=3), nullable=False),
        sa.Column("base_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"]),
        sa.PrimaryKeyConstraint("contribution_id", "program"),
    )


def downgrade() -> None:
    op.drop_table("contribution_line")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_sponsor_id"))
    op.drop_table("contribution")
