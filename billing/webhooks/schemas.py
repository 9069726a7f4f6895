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


# Described for the API document only, like Stripe's (the view verifies the raw bytes first).
SNAP_NOTIFY_DOC = {
    "parameters": [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
        }
        for name, description in (
            ("X-TIMESTAMP", "ISO 8601 with the +07:00 offset"),
            (
                "X-SIGNATURE",
                "base64 SHA256withRSA (the provider's key) of 'POST:<path>:<hex sha256 of the minified body>:"
                "<X-TIMESTAMP>'",
            ),
            ("X-PARTNER-ID", "our client id at the provider"),
            ("X-EXTERNAL-ID", "unique per day"),
        )
    ],
    "requestBody": {
        "required": True,
        "description": "A SNAP debit notify (service 56), as the bank sends it / Notifikasi debit SNAP apa adanya",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": [
                        "originalPartnerReferenceNo",
                        "originalReferenceNo",
                        "latestTransactionStatus",
                        "amount",
                    ],
                    "properties": {
                        "originalPartnerReferenceNo": {"type": "string"},
                        "originalReferenceNo": {"type": "string"},
                        "latestTransactionStatus": {"type": "string", "description": "00 success … 06 failed"},
                        "originalResponseCode": {"type": "string"},
                        "amount": {
                            "type": "object",
                            "properties": {"value": {"type": "string"}, "currency": {"type": "string"}},
                        },
                        "paidTime": {"type": "string"},
                    },
                },
                "example": {
                    "originalPartnerReferenceNo": "1234-1",
                    "originalReferenceNo": "sim_ch_1234-1",
                    "latestTransactionStatus": "00",
                    "originalResponseCode": "2005400",
                    "amount": {"value": "16800.00", "currency": "IDR"},
                    "paidTime": "2026-01-05T12:00:00+07:00",
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


class SnapNotifyReceipt(WebhookReceipt):
    """What a SNAP provider reads first: ``responseCode`` 2005600 when the callback was taken."""

    model_config = ConfigDict(populate_by_name=True)

    responseCode: str
    responseMessage: str


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
