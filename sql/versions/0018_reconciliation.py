"""reconciliation with the gateway's settlement: imported files (unique by SHA-256), their lines (unique
per gateway and line key, so overlapping files count nothing twice) and the mismatches for finance

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("format", sa.String(length=6), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("new_lines", sa.Integer(), nullable=False),
        sa.Column("repeated", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("file_only", sa.Integer(), nullable=False),
        sa.Column("amount_differs", sa.Integer(), nullable=False),
        sa.Column("other", sa.Integer(), nullable=False),
        sa.Column("books_only", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["api_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_reconciliation_import_sha256"),
    )
    op.create_table(
        "reconciliation_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("line_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=True),
        sa.Column("net", sa.BigInteger(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=14), nullable=False),
        sa.Column("source", sa.String(length=7), nullable=True),
        sa.Column("book_id", sa.BigInteger(), nullable=True),
        sa.Column("books_amount", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway", "line_key", name="uq_reconciliation_line_key"),
    )
    with op.batch_alter_table("reconciliation_line", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliation_line_book", ["source", "book_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reconciliation_line_import_id"), ["import_id"], unique=False)

    op.create_table(
        "reconciliation_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("file_amount", sa.BigInteger(), nullable=True),
        sa.Column("books_amount", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=7), nullable=True),
        sa.Column("book_id", sa.BigInteger(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["reconciliation_import.id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["reconciliation_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["api_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway", "subject", name="uq_reconciliation_item_subject"),
    )
    with op.batch_alter_table("reconciliation_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reconciliation_item_import_id"), ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_item_import_id"))

    op.drop_table("reconciliation_item")
    with op.batch_alter_table("reconciliation_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_line_import_id"))
        batch_op.drop_index("ix_reconciliation_line_book")

    op.drop_table("reconciliation_line")
    op.drop_table("reconciliation_import")
