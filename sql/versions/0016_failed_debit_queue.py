"""failed-debit queue: the queue's projection (failed_debit, filled from the attempts already made) and
case assignment

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# As billing.failed_debits.sync selects the queue (a copy: a migration stays as it was written).
_FILL = """
INSERT INTO failed_debit (contribution_id, participant_id, full_name, region_code, ecosystem, period, amount,
    attempt_id, attempt_no, mandate_id, outcome, failure_code, gateway, channel, attempted_on, next_retry_on,
    stopped_reason, unpaid_from)
SELECT c.id, c.participant_id, p.full_name, p.region_code, p.ecosystem, c.period, c.amount_due - c.amount_paid,
       a.id, a.attempt_no, a.mandate_id, a.status, a.failure_code, a.gateway, m.channel,
       COALESCE(r.run_date, date(a.created_at)), s.next_debit_on, s.stopped_reason,
       COALESCE((SELECT MIN(u.period) FROM contribution u
                 WHERE u.participant_id = c.participant_id AND u.status = 'due' AND u.period >= p.membership_from),
                c.period)
FROM contribution c
JOIN participant p ON p.id = c.participant_id
JOIN debit_attempt a ON a.contribution_id = c.id AND a.attempt_no = (
    SELECT MAX(x.attempt_no) FROM debit_attempt x
    WHERE x.contribution_id = c.id AND x.status IN ('succeeded', 'failed', 'unknown'))
JOIN mandate m ON m.id = a.mandate_id
LEFT JOIN job_run r ON r.id = a.run_id
LEFT JOIN debit_schedule s ON s.contribution_id = c.id
WHERE c.status = 'due' AND a.status IN ('failed', 'unknown')
"""


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        "failed_debit",
        sa.Column("contribution_id", _BIG_ID, nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("full_name", _str(120), nullable=False),
        sa.Column("region_code", _str(5), nullable=False),
        sa.Column("ecosystem", sa.String(length=14), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=9), nullable=False),
        sa.Column("failure_code", _str(40), nullable=True),
        sa.Column("gateway", _str(32), nullable=False),
        sa.Column("channel", sa.String(length=7), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column("next_retry_on", sa.Date(), nullable=True),
        sa.Column("stopped_reason", _str(40), nullable=True),
        sa.Column("unpaid_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("contribution_id"),
    )
    op.create_index("ix_failed_debit_participant_id", "failed_debit", ["participant_id"])
    op.create_index("ix_failed_debit_region_code", "failed_debit", ["region_code"])
    op.execute(_FILL)

    op.create_table(
        "case_assignment",
        sa.Column("contribution_id", _BIG_ID, nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["api_user.id"]),
        sa.ForeignKeyConstraint(["assigned_by"], ["api_user.id"]),
        sa.PrimaryKeyConstraint("contribution_id"),
    )
    op.create_index("ix_case_assignment_assignee_id", "case_assignment", ["assignee_id"])


def downgrade() -> None:
    op.drop_index("ix_case_assignment_assignee_id", table_name="case_assignment")
    op.drop_table("case_assignment")
    op.drop_index("ix_failed_debit_region_code", table_name="failed_debit")
    op.drop_index("ix_failed_debit_participant_id", table_name="failed_debit")
    op.drop_table("failed_debit")
