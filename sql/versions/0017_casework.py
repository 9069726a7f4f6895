"""casework: staff notes on a contribution's case, waiver requests awaiting a second finance user
(one pending per contribution), and an index to find a case's gateway events by attempt

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PENDING = sa.text("status = 'pending'")


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        "case_note",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("contribution_id", _BIG_ID, nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", _str(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_note_contribution_id", "case_note", ["contribution_id"])

    op.create_table(
        "waiver_request",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("contribution_id", _BIG_ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", _str(200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", _str(200), nullable=True),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["api_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waiver_request_contribution_id", "waiver_request", ["contribution_id"])
    op.create_index("ix_waiver_request_status", "waiver_request", ["status"])
    op.create_index(
        "uq_waiver_request_pending",
        "waiver_request",
        ["contribution_id"],
        unique=True,
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )

    op.create_index("ix_gateway_event_attempt_id", "gateway_event", ["attempt_id"])


def downgrade() -> None:
    op.drop_index("ix_gateway_event_attempt_id", table_name="gateway_event")
    op.drop_index("uq_waiver_request_pending", table_name="waiver_request")
    op.drop_index("ix_waiver_request_status", table_name="waiver_request")
    op.drop_index("ix_waiver_request_contribution_id", table_name="waiver_request")
    op.drop_table("waiver_request")
    op.drop_index("ix_case_note_contribution_id", table_name="case_note")
    op.drop_table("case_note")
