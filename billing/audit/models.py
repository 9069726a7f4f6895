from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at


class AuditRecord(SQLModel, table=True):
    """One staff action or API write. Never updated or deleted: the migration adds triggers that refuse
    both on PostgreSQL and SQLite."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_at", "at"),
        Index("ix_audit_record_target", "target_type", "target_id"),
        # Failed sign-ins from one address in the last minutes (the per-IP lockout).
        Index("ix_audit_record_ip_action_at", "source_ip", "action", "at"),
    )

    id: int | None = big_pk()
    at: datetime = created_at()
    user_id: int | None = Field(default=None, foreign_key="api_user.id", index=True)
    role: str | None = Field(default=None, max_length=20)
    action: str = Field(max_length=80, index=True)
    target_type: str | None = Field(default=None, max_length=40)
    target_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reason: str | None = Field(default=None, max_length=500)
    # The HTTP status of an API write; none for staff actions and commands.
    status: int | None = None
    # web (the staff workspace, the workers' pages), api (a token or the API from a browser session), cli (a command).
    channel: str = Field(max_length=3)
    request_id: str | None = Field(default=None, max_length=128)
    source_ip: str | None = Field(default=None, max_length=45)
