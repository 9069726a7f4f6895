from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field, timestamp


class Role(StrEnum):
    admin = "admin"
    finance = "finance"
    manager = "manager"
    worker = "worker"
    agent = "agent"  # a Perisai agent: enrols workers and collects their cash (billing.agents)


# The staff workspace's roles (/staff).
STAFF_ROLES = (Role.admin, Role.finance, Role.manager)
# Roles that sign in in the browser with a password: staff, and agents (their pages are /agen). Workers
# sign in with a code sent to their phone (billing.auth.workers).
PASSWORD_ROLES = (*STAFF_ROLES, Role.agent)


class ApiUser(SQLModel, table=True):
    """A person or machine: an API token (its SHA-256 only), a browser login (argon2 hash), or both."""

    __tablename__ = "api_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    role: Role = enum_field(Role)
    # A worker token sees and changes only this participant.
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    token_prefix: str | None = Field(default=None, max_length=12)
    # Browser login: stored lower-case, so "Ani" and "ani" are one account.
    username: str | None = Field(default=None, max_length=80, unique=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = timestamp()
    created_at: datetime = created_at()
    revoked_at: datetime | None = timestamp()


class StaffSession(SQLModel, table=True):
    """A browser session: a staff member's, or a worker's signed in by a code on the self-service pages
    (each kind has its own cookie). The cookie holds a random id; only its SHA-256 is stored."""

    __tablename__ = "staff_session"

    id: int | None = big_pk()
    user_id: int = Field(foreign_key="api_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at()
    last_seen_at: datetime = timestamp(nullable=False)
    # Absolute end, whatever the activity.
    expires_at: datetime = timestamp(nullable=False)
    ended_at: datetime | None = timestamp()
    source_ip: str | None = Field(default=None, max_length=45)
