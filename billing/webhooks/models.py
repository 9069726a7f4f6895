"""Events received from payment gateways, each stored once: deliveries are at least once, and the
unique (gateway, event id) makes a duplicate a no-op."""

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import big_pk, created_at, timestamp


class GatewayEvent(SQLModel, table=True):
    __tablename__ = "gateway_event"
    __table_args__ = (UniqueConstraint("gateway", "event_id", name="uq_gateway_event_gateway_event_id"),)

    id: int | None = big_pk()
    gateway: str = Field(max_length=32)
    event_id: str = Field(max_length=255)
    type: str = Field(max_length=80)
    payload: dict = Field(sa_type=JSON)  # type: ignore[type-arg]
    received_at: datetime = created_at()
    # When it was applied to a debit attempt; None for events that name no attempt of ours.
    applied_at: datetime | None = timestamp()
