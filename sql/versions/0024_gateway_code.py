"""the gateway's own code of a failed or unknown attempt (a SNAP response code, a Stripe decline
code), kept on the attempt and shown in finance's queue beside our failure code

Revision ID: 0024
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding the columns rewrites neither table.
    op.add_column("debit_attempt", sa.Column("gateway_code", sa.String(length=40), nullable=True))
    op.add_column("failed_debit", sa.Column("gateway_code", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("failed_debit") as batch:
        batch.drop_column("gateway_code")
    with op.batch_alter_table("debit_attempt") as batch:
        batch.drop_column("gateway_code")
