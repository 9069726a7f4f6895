"""sponsor invoices: one per sponsor and month, and their charges through the sponsor's mandate

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sponsor_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("unapplied", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("unapplied >= 0 AND unapplied <= amount_paid", name="ck_sponsor_invoice_unapplied"),
        sa.ForeignKeyConstraint(
            ["sponsor_id"],
            ["sponsor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sponsor_id", "period", name="uq_sponsor_invoice_sponsor_period"),
    )
    op.create_table(
        "sponsor_invoice_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("payment_method", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("failure_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("gateway_reference", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("next_retry_on", sa.Date(), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["sponsor_invoice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandate.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_sponsor_invoice_attempt_key"),
        sa.UniqueConstraint("invoice_id", "attempt_no", name="uq_sponsor_invoice_attempt_no"),
    )
    with op.batch_alter_table("sponsor_invoice_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sponsor_invoice_attempt_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sponsor_invoice_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_invoice_attempt_status"))

    op.drop_table("sponsor_invoice_attempt")
    op.drop_table("sponsor_invoice")
