"""coverage by membership: participant.membership_from, the first month of the current membership

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch_op:
        batch_op.add_column(sa.Column("membership_from", sa.Date(), nullable=True))
    # Every membership so far started at enrolment (a re-registration moved nothing yet).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE participant SET membership_from = date_trunc('month', enrolled_on)::date")
    else:
        op.execute("UPDATE participant SET membership_from = date(enrolled_on, 'start of month')")
    with op.batch_alter_table("participant") as batch_op:
        batch_op.alter_column("membership_from", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch_op:
        batch_op.drop_column("membership_from")
