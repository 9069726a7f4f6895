from datetime import datetime

from pydantic import BaseModel, ConfigDict

from billing.pagination import Page, PageQuery
from billing.webhooks.models import EventStatus


class WebhookReceipt(BaseModel):
    received: bool = True
    duplicate: bool  # this event id was stored before: nothing done again
    attempt_id: int | None  # the debit attempt the event names, if it is one of ours
    changed: bool  # our books changed (an attempt took the event's outcome, a receipt was reversed…)
    status: EventStatus | None  # what became of the event; None for a duplicate
    problem: str | None = None  # why it was not applied (refused, pending, ignored)


class GatewayEventQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    status: EventStatus | None = None


class GatewayEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    gateway: str
    event_id: str
    type: str
    status: EventStatus
    problem: str | None
    attempt_id: int | None
    tries: int
    received_at: datetime
    applied_at: datetime | None


class GatewayEventPage(Page[GatewayEventOut]):
    pass
