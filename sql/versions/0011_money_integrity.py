"""money integrity: cancelled attempts, batches marked sent, paid amounts, one ledger for every
receipt (keyed by its source), receipts, refunds, participant credit, gateway events with a status

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_KEY = sqlmodel.sql.sqltypes.AutoString(length=80).with_variant(sa.String(80, collation="C"), "postgresql")


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    # Adding nullable columns (and a column with a constant default) rewrites nothing on PostgreSQL.
    with op.batch_alter_table("debit_attempt") as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", _str(40), nullable=True))
    with op.batch_alter_table("debit_batch") as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("debit_unsettled") as batch_op:
        batch_op.add_column(sa.Column("checks", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("debit_schedule") as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("contribution") as batch_op:
        batch_op.add_column(sa.Column("amount_paid", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE contribution SET amount_paid = amount_due WHERE status = 'paid'")

    op.create_table(
        "receipt",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=13), nullable=False),
        sa.Column("number", _str(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", _str(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_receipt_amount_positive"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["sponsor_id"], ["sponsor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "number", name="uq_receipt_channel_number"),
    )
    op.create_index("ix_receipt_participant_id", "receipt", ["participant_id"])
    op.create_index("ix_receipt_sponsor_id", "receipt", ["sponsor_id"])

    op.create_table(
        "refund",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), nullable=True),
        sa.Column("gateway", _str(40), nullable=True),
        sa.Column("gateway_reference", _str(80), nullable=True),
        sa.Column("idempotency_key", _str(64), nullable=False),
        sa.Column("receipt_number", _str(40), nullable=True),
        sa.Column("failure", _str(200), nullable=True),
        sa.Column("reason", _str(200), nullable=False),
        sa.Column("requested_by", _str(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_refund_amount_positive"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_refund_idempotency_key"),
    )
    op.create_index("ix_refund_participant_id", "refund", ["participant_id"])
    op.create_index("ix_refund_attempt_id", "refund", ["attempt_id"])

    op.create_table(
        "participant_credit",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_participant_credit_not_negative"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("participant_id"),
    )

    # The ledger keyed by the source of each transfer; the debit postings so far keep their attempt.
    op.rename_table("ledger_transfer", "ledger_transfer_0010")
    op.create_table(
        "ledger_transfer",
        sa.Column("key", _KEY, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("debit_account", sa.String(length=24), nullable=False),
        sa.Column("credit_account", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("contribution_id", _BIG_ID, nullable=True),
        sa.Column("attempt_id", sa.BigInteger(), nullable=True),
        sa.Column("receipt_id", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ledger_transfer_amount_positive"),
        sa.CheckConstraint("debit_account <> credit_account", name="ck_ledger_transfer_two_accounts"),
        sa.PrimaryKeyConstraint("key", name="ledger_transfer_key_pkey"),
    )
    op.execute(
        "INSERT INTO ledger_transfer (key, kind, debit_account, credit_account, amount, participant_id,"
        " contribution_id, attempt_id, posted_on, created_at)"
        " SELECT 'debit:' || l.attempt_id, 'debit', l.debit_account, l.credit_account, l.amount, c.participant_id,"
        " l.contribution_id, l.attempt_id, l.posted_on, l.created_at"
        " FROM ledger_transfer_0010 l LEFT JOIN contribution c ON c.id = l.contribution_id"
    )
    op.drop_table("ledger_transfer_0010")
    # Months paid offline or by a sponsor before this revision never posted: they open the books.
    op.execute(
        "INSERT INTO ledger_transfer (key, kind, debit_account, credit_account, amount, participant_id,"
        " contribution_id, posted_on, created_at)"
        " SELECT 'opening:' || c.id, 'opening', 'opening_balance', 'contributions_receivable', c.amount_due,"
        " c.participant_id, c.id, COALESCE(c.paid_on, c.period), COALESCE(c.paid_at, c.created_at)"
        " FROM contribution c WHERE c.status = 'paid' AND (c.paid_via IS NULL OR c.paid_via <> 'debit')"
    )

    with op.batch_alter_table("gateway_event") as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=9), server_default="applied", nullable=False))
        batch_op.add_column(sa.Column("problem", _str(200), nullable=True))
        batch_op.add_column(sa.Column("attempt_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("tries", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_gateway_event_status", ["status"])
    op.execute("UPDATE gateway_event SET status = 'ignored' WHERE applied_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("gateway_event") as batch_op:
        batch_op.drop_index("ix_gateway_event_status")
        for column in ("tries", "attempt_id", "problem", "status"):
            batch_op.drop_column(column)
    op.create_table(
        "ledger_transfer_0010",
        sa.Column("attempt_id", _BIG_ID, autoincrement=False, nullable=False),
        sa.Column("contribution_id", _BIG_ID, nullable=False),
        sa.Column("debit_account", sa.String(length=24), nullable=False),
        sa.Column("credit_account", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name="ledger_transfer_pkey"),
    )
    # Only debit postings existed before this revision.
    op.execute(
        "INSERT INTO ledger_transfer_0010 SELECT attempt_id, contribution_id, debit_account, credit_account,"
        " amount, posted_on, created_at FROM ledger_transfer WHERE kind = 'debit'"
        " AND credit_account = 'contributions_receivable'"
    )
    op.drop_table("ledger_transfer")
    op.rename_table("ledger_transfer_0010", "ledger_transfer")
    op.drop_table("participant_credit")
    op.drop_index("ix_refund_attempt_id", table_name="refund")
    op.drop_index("ix_refund_participant_id", table_name="refund")
    op.drop_table("refund")
    op.drop_index("ix_receipt_sponsor_id", table_name="receipt")
    op.drop_index("ix_receipt_participant_id", table_name="receipt")
    op.drop_table("receipt")
    with op.batch_alter_table("contribution") as batch_op:
        batch_op.drop_column("amount_paid")
    with op.batch_alter_table("debit_schedule") as batch_op:
        batch_op.drop_column("skipped")
    with op.batch_alter_table("debit_unsettled") as batch_op:
        batch_op.drop_column("checks")
    with op.batch_alter_table("debit_batch") as batch_op:
        batch_op.drop_column("sent_at")
    with op.batch_alter_table("debit_attempt") as batch_op:
        batch_op.drop_column("cancel_reason")
