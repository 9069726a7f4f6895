"""rebuild the report snapshots: a lapse caused by a sponsor's stop is now the waterfall's sponsor
step (it was counted as entering arrears), so every month built before is stale

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Without its report_snapshot row a month is built again by the next report or nightly job
    # (billing.reports.snapshot.ensure); its old rows are replaced by that build.
    op.execute("DELETE FROM report_snapshot")


def downgrade() -> None:
    op.execute("DELETE FROM report_snapshot")
