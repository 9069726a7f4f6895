"""staff sign-in and audit trail: browser logins on api_user, server-side sessions, an append-only
audit_record (triggers refuse UPDATE and DELETE on both backends)

Revision ID: 0015
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_REFUSED = "audit_record is append-only"


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    with op.batch_alter_table("api_user") as batch_op:
        batch_op.alter_column("token_hash", existing_type=_str(64), nullable=True)
        batch_op.alter_column("token_prefix", existing_type=_str(12), nullable=True)
        batch_op.add_column(sa.Column("username", _str(80), nullable=True))
        batch_op.add_column(sa.Column("email", _str(254), nullable=True))
        batch_op.add_column(sa.Column("password_hash", _str(255), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_api_user_username", ["username"])
        batch_op.create_unique_constraint("uq_api_user_email", ["email"])

    op.create_table(
        "staff_session",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _str(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_ip", _str(45), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["api_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])

    op.create_table(
        "audit_record",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", _str(20), nullable=True),
        sa.Column("action", _str(80), nullable=False),
        sa.Column("target_type", _str(40), nullable=True),
        sa.Column("target_id", _str(64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", _str(500), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("channel", _str(3), nullable=False),
        sa.Column("request_id", _str(128), nullable=True),
        sa.Column("source_ip", _str(45), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["api_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_record_at", "audit_record", ["at"])
    op.create_index("ix_audit_record_action", "audit_record", ["action"])
    op.create_index("ix_audit_record_user_id", "audit_record", ["user_id"])
    op.create_index("ix_audit_record_target", "audit_record", ["target_type", "target_id"])
    op.create_index("ix_audit_record_ip_action_at", "audit_record", ["source_ip", "action", "at"])

    # Append-only, enforced by the database itself: no code path (or console session) edits history.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_record_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_REFUSED}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record "
            "FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_record_no_{event.lower()} BEFORE {event} ON audit_record "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_record")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_record_refuse_change()")
    op.drop_index("ix_staff_session_user_id", table_name="staff_session")
    op.drop_table("staff_session")
    # Users without a token (browser logins only) cannot go back to a table that requires one.
    op.execute("DELETE FROM api_user WHERE token_hash IS NULL")
    with op.batch_alter_table("api_user") as batch_op:
        batch_op.drop_constraint("uq_api_user_email", type_="unique")
        batch_op.drop_constraint("uq_api_user_username", type_="unique")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("password_hash")
        batch_op.drop_column("email")
        batch_op.drop_column("username")
        batch_op.alter_column("token_prefix", existing_type=_str(12), nullable=False)
        batch_op.alter_column("token_hash", existing_type=_str(64), nullable=False)
