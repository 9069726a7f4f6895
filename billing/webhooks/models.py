"""Events received from payment gateways, each stored once: deliveries are at least once, and the
unique (gateway, event id) makes a duplicate a no-op. Every event is kept with what became of it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, enum_field, timestamp


class EventStatus(StrEnum):
    applied = "applied"  # changed our books (or confirmed what they already said)
    ignored = "ignored"  # a type we do not act on
    pending = "pending"  # names a charge we cannot find yet: tried again later
    refused = "refused"  # does not agree with the charge it names (id, amount, currency): finance looks
    unmatched = "unmatched"  # still pending after its tries: finance looks


class GatewayEvent(SQLModel, table=True):
    __tablename__ = "gateway_event"
    __table_args__ = (UniqueConstraint("gateway", "event_id", name="uq_gateway_event_gateway_event_id"),)

    id: int | None = big_pk()
    gateway: str = Field(max_length=32)
    event_id: str = Field(max_length=255)
    type: str = Field(max_length=80)
    payload: dict = Field(sa_type=JSON)  # type: ignore[type-arg]
    received_at: datetime = created_at()
    applied_at: datetime | None = timestamp()
    status: EventStatus = enum_field(
        EventStatus, default=EventStatus.applied, index=True, sa_column_kwargs={"server_default": "applied"}
    )
    problem: str | None = Field(default=None, max_length=200)
    # The case page lists the events of a contribution's attempts.
    attempt_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    tries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
