"""debit engine: runs, batches, attempts, schedule, ledger, notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 19:45:09.363018
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "debit_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=9), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("payment_method", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("failure_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("gateway_reference", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contribution_id", "attempt_no", name="uq_debit_attempt_contribution_no"),
        sa.UniqueConstraint("idempotency_key", name="uq_debit_attempt_idempotency_key"),
        postgresql_with={"fillfactor": 50},
    )

    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("planned_through", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "run_date", name="uq_job_run_kind_date"),
    )
    op.create_table(
        "ledger_transfer",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contribution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("debit_account", sa.String(length=24), nullable=False),
        sa.Column("credit_account", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attempt_id"),
    )

    op.create_table(
        "debit_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_attempt_id", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt_id", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=7), nullable=False),
        sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["job_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("debit_batch", schema=None) as batch_op:
        batch_op.create_index("ix_debit_batch_claim", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_debit_batch_run_id"), ["run_id"], unique=False)

    op.create_table(
        "debit_unsettled",
        sa.Column("attempt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["debit_attempt.id"],
        ),
        sa.PrimaryKeyConstraint("attempt_id"),
    )
    with op.batch_alter_table("debit_unsettled", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debit_unsettled_retry_at"), ["retry_at"], unique=False)

    op.create_table(
        "notice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "debit_schedule",
        sa.Column("contribution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("next_debit_on", sa.Date(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("stopped_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contribution.id"],
        ),
        sa.PrimaryKeyConstraint("contribution_id"),
    )
    with op.batch_alter_table("debit_schedule", schema=None) as batch_op:
        batch_op.create_index("ix_debit_schedule_next", ["next_debit_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("debit_schedule", schema=None) as batch_op:
        batch_op.drop_index("ix_debit_schedule_next")

    op.drop_table("debit_schedule")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_sent_at"))
        batch_op.drop_index(batch_op.f("ix_notice_participant_id"))

    op.drop_table("notice")
    with op.batch_alter_table("debit_unsettled", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debit_unsettled_retry_at"))

    op.drop_table("debit_unsettled")
    with op.batch_alter_table("debit_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debit_batch_run_id"))
        batch_op.drop_index("ix_debit_batch_claim")

    op.drop_table("debit_batch")

    op.drop_table("ledger_transfer")
    op.drop_table("job_run")

    op.drop_table("debit_attempt")
