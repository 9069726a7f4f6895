"""profile changes: a participant's income and programmes by the month they price from; debit days on
or before the 15th (the due date), later ones moved there with a notice to each worker

Revision ID: 0014
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE_DAY = 15

# One notice per moved mandate of a worker (a sponsor's mandate has no worker to tell); the dedupe key
# makes a rerun write none.
_NOTIFY = """
INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)
SELECT m.participant_id, 'debit_day_moved', 'debit_day_moved:' || m.id,
       {json}('old_day', m.debit_day, 'new_day', {due}, 'account', m.display), CURRENT_TIMESTAMP
FROM mandate m
WHERE m.debit_day > {due} AND m.participant_id IS NOT NULL
ORDER BY m.id
ON CONFLICT (dedupe_key) DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "participant_profile_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("declared_income", sa.BigInteger(), nullable=False),
        sa.Column("jht", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("declared_income > 0", name="ck_profile_change_income_positive"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_profile_change_participant_month", "participant_profile_change", ["participant_id", "effective_from"]
    )

    json = "json_build_object" if op.get_bind().dialect.name == "postgresql" else "json_object"
    op.execute(_NOTIFY.format(json=json, due=DUE_DAY))
    op.execute(f"UPDATE mandate SET debit_day = {DUE_DAY} WHERE debit_day > {DUE_DAY}")
    with op.batch_alter_table("mandate") as batch_op:
        batch_op.drop_constraint("ck_mandate_debit_day", type_="check")
        batch_op.create_check_constraint("ck_mandate_debit_day", f"debit_day BETWEEN 1 AND {DUE_DAY}")


def downgrade() -> None:
    # The moved days and their notices stay: the old days are not kept.
    with op.batch_alter_table("mandate") as batch_op:
        batch_op.drop_constraint("ck_mandate_debit_day", type_="check")
        batch_op.create_check_constraint("ck_mandate_debit_day", "debit_day BETWEEN 1 AND 28")
    op.drop_index("ix_profile_change_participant_month", table_name="participant_profile_change")
    op.drop_table("participant_profile_change")
