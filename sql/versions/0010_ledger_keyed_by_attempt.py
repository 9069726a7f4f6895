"""ledger keyed by attempt: the attempt id is the transfer's primary key, no serial id

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite reflects 0005's unnamed unique constraint without a name: this names it so it can be dropped.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ledger_transfer_attempt_id_key", "ledger_transfer", type_="unique")
        op.drop_constraint("ledger_transfer_pkey", "ledger_transfer", type_="primary")
        op.drop_column("ledger_transfer", "id")
        op.create_primary_key("ledger_transfer_pkey", "ledger_transfer", ["attempt_id"])
        return
    with op.batch_alter_table("ledger_transfer", recreate="always", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint("uq_ledger_transfer_attempt_id", type_="unique")
        batch_op.drop_column("id")
        batch_op.create_primary_key("ledger_transfer_pkey", ["attempt_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ledger_transfer_pkey", "ledger_transfer", type_="primary")
        op.execute("ALTER TABLE ledger_transfer ADD COLUMN id BIGSERIAL")
        op.create_primary_key("ledger_transfer_pkey", "ledger_transfer", ["id"])
        op.create_unique_constraint("ledger_transfer_attempt_id_key", "ledger_transfer", ["attempt_id"])
        return
    with op.batch_alter_table("ledger_transfer", recreate="always") as batch_op:
        # An INTEGER PRIMARY KEY left out of the copy is numbered by SQLite itself.
        batch_op.add_column(sa.Column("id", sa.Integer(), nullable=False), insert_before="attempt_id")
        batch_op.drop_constraint("ledger_transfer_pkey", type_="primary")
        batch_op.create_primary_key("ledger_transfer_pkey", ["id"])
        batch_op.create_unique_constraint("uq_ledger_transfer_attempt_id", ["attempt_id"])
