from datetime import datetime

from pydantic import BaseModel, ConfigDict

from billing.pagination import Page, PageQuery
from billing.webhooks.models import EventStatus

# The view reads the raw bytes (the signature covers them exactly), so no model validates the body: it is
# described here for the API document.
STRIPE_WEBHOOK_DOC = {
    "parameters": [
        {
            "name": "Stripe-Signature",
            "in": "header",
            "required": True,
            "description": "t=<unix time>,v1=<HMAC-SHA256 of 't.<body>' with the endpoint secret>",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "description": "A Stripe event, as Stripe sends it / Peristiwa Stripe apa adanya",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["id", "type", "data"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"type": "string"},
                        "created": {"type": "integer", "description": "Unix time"},
                        "data": {"type": "object", "properties": {"object": {"type": "object"}}},
                    },
                },
                "example": {
                    "id": "evt_1QZ3kD2eZvKYlo2C",
                    "type": "payment_intent.succeeded",
                    "created": 1780000000,
                    "data": {"object": {"id": "pi_3QZ3kD2eZvKYlo2C", "object": "payment_intent", "amount": 16800}},
                },
            }
        },
    },
}


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
