from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from billing.columns import created_at, enum_field, timestamp


class Role(StrEnum):
    admin = "admin"
    finance = "finance"
    manager = "manager"
    worker = "worker"


class ApiUser(SQLModel, table=True):
    """A holder of one API token. The token itself is never stored, only its SHA-256."""

    __tablename__ = "api_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    role: Role = enum_field(Role)
    # A worker token sees and changes only this participant.
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    token_prefix: str = Field(max_length=12)
    created_at: datetime = created_at()
    revoked_at: datetime | None = timestamp()
