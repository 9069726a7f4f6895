"""Sponsors (Pemda, CSR companies) and their members; auto-debit mandates and their audit trail.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sponsor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("budget_type", sa.String(length=9), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("status", sa.String(length=7), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("stop_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'company' AND budget_type = 'csr') OR (kind = 'pemda' AND budget_type <> 'csr')",
            name="ck_sponsor_kind_budget",
        ),
        sa.CheckConstraint(
            "(status = 'active' AND stopped_on IS NULL) OR (status = 'stopped' AND stopped_on IS NOT NULL)",
            name="ck_sponsor_stopped_on",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sponsor_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_sponsor_status"), ["status"], unique=False)

    op.create_table(
        "mandate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("payment_method", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("channel", sa.String(length=7), nullable=False),
        sa.Column("display", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("debit_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_source", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(participant_id IS NOT NULL AND sponsor_id IS NULL) OR "
            "(participant_id IS NULL AND sponsor_id IS NOT NULL)",
            name="ck_mandate_one_owner",
        ),
        sa.CheckConstraint("debit_day BETWEEN 1 AND 28", name="ck_mandate_debit_day"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"],
            ["sponsor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mandate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mandate_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mandate_sponsor_id"), ["sponsor_id"], unique=False)
        batch_op.create_index(
            "uq_mandate_live_participant",
            ["participant_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'active', 'suspended')"),
            sqlite_where=sa.text("status IN ('pending', 'active', 'suspended')"),
        )
        batch_op.create_index(
            "uq_mandate_live_sponsor",
            ["sponsor_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'active', 'suspended')"),
            sqlite_where=sa.text("status IN ('pending', 'active', 'suspended')"),
        )

    op.create_table(
        "sponsor_member",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="ck_sponsor_member_dates"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"],
            ["sponsor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sponsor_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sponsor_member_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sponsor_member_sponsor_id"), ["sponsor_id"], unique=False)
        batch_op.create_index(
            "uq_sponsor_member_current",
            ["participant_id"],
            unique=True,
            postgresql_where=sa.text("left_on IS NULL"),
            sqlite_where=sa.text("left_on IS NULL"),
        )

    op.create_table(
        "mandate_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=9), nullable=True),
        sa.Column("to_status", sa.String(length=9), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandate.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mandate_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mandate_event_mandate_id"), ["mandate_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mandate_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mandate_event_mandate_id"))

    op.drop_table("mandate_event")
    with op.batch_alter_table("sponsor_member", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sponsor_member_current",
            postgresql_where=sa.text("left_on IS NULL"),
            sqlite_where=sa.text("left_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_sponsor_member_sponsor_id"))
        batch_op.drop_index(batch_op.f("ix_sponsor_member_participant_id"))

    op.drop_table("sponsor_member")
    with op.batch_alter_table("mandate", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mandate_live_sponsor",
            postgresql_where=sa.text("status IN ('pending', 'active', 'suspended')"),
            sqlite_where=sa.text("status IN ('pending', 'active', 'suspended')"),
        )
        batch_op.drop_index(
            "uq_mandate_live_participant",
            postgresql_where=sa.text("status IN ('pending', 'active', 'suspended')"),
            sqlite_where=sa.text("status IN ('pending', 'active', 'suspended')"),
        )
        batch_op.drop_index(batch_op.f("ix_mandate_sponsor_id"))
        batch_op.drop_index(batch_op.f("ix_mandate_participant_id"))

    op.drop_table("mandate")
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_status"))
        batch_op.drop_index(batch_op.f("ix_sponsor_region_code"))

    op.drop_table("sponsor")
