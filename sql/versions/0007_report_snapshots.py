"""report snapshots: coverage and debit figures per regency and month, and the months built

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEASURES = (
    "participants",
    "active",
    "in_arrears",
    "activated",
    "reactivated",
    "recovered",
    "entered_arrears",
    "ended",
    "cancelled",
    "sponsor_stopped",
    "ended_from_arrears",
    "ended_before_paying",
)


def upgrade() -> None:
    op.create_table(
        "coverage_month",
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _MEASURES),
        sa.PrimaryKeyConstraint("region_code", "month", "dimension", "value"),
    )
    op.create_index("ix_coverage_month_dimension_month", "coverage_month", ["dimension", "month"], unique=False)
    op.create_table(
        "debit_month",
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("recovered_later", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "month", "attempt_no"),
    )
    op.create_table(
        "report_snapshot",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )


def downgrade() -> None:
    op.drop_table("report_snapshot")
    op.drop_table("debit_month")
    op.drop_index("ix_coverage_month_dimension_month", table_name="coverage_month")
    op.drop_table("coverage_month")
