import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from sqlmodel import col, select

from billing import db
from billing import settings as settings_mod
from billing.auth.guard import STAFF, public, roles
from billing.debits.policy import from_settings as retry_policy
from billing.errors import BillingError
from billing.gateways.base import InvalidWebhook, MalformedWebhook
from billing.gateways.registry import app_gateway
from billing.gateways.snap import wire as snap_wire
from billing.gateways.snap.client import SnapGateway
from billing.gateways.stripe.client import parse_webhook
from billing.gateways.stripe.settings import StripeSettings
from billing.metrics import WEBHOOKS
from billing.pagination import paginate
from billing.webhooks import service
from billing.webhooks.models import GatewayEvent
from billing.webhooks.schemas import (
    SNAP_NOTIFY_DOC,
    STRIPE_WEBHOOK_DOC,
    GatewayEventOut,
    GatewayEventPage,
    GatewayEventQuery,
    SnapNotifyReceipt,
    WebhookReceipt,
)

tag = Tag(name="webhooks", description="Peristiwa dari gateway pembayaran / Payment gateway events")
bp = APIBlueprint("webhooks", __name__, url_prefix="/api/v1", abp_tags=[tag])

# A timestamp beyond these is no Stripe event's (and would not fit a date).
_EARLIEST, _LATEST = 946_684_800, 4_102_444_800  # 2000-01-01, 2100-01-01


class InvalidWebhookSignature(BillingError):
    status = 400
    code = "invalid_webhook_signature"
    title = "Webhook tidak sah / Invalid webhook"


class MalformedWebhookBody(BillingError):
    status = 400
    code = "malformed_webhook"
    title = "Isi webhook tidak dapat dibaca / Unreadable webhook body"


def _malformed(detail: str) -> MalformedWebhookBody:
    return MalformedWebhookBody(
        f"Tanda tangan sah, tetapi isinya bukan peristiwa Stripe yang dapat dibaca: {detail} / "
        f"The signature is valid, but the body is not a readable Stripe event: {detail}"
    )


@bp.post("/webhooks/stripe", responses={200: WebhookReceipt}, security=[], openapi_extensions=STRIPE_WEBHOOK_DOC)
@public
def stripe_webhook():  # type: ignore[no-untyped-def]
    """Peristiwa Stripe, diautentikasi tanda tangannya / Stripe events, authenticated by their signature"""
    # The raw bytes, as signed: parsed only once the signature checks out.
    payload = request.get_data(cache=True)
    stripe = StripeSettings()
    try:
        event = parse_webhook(payload, request.headers, stripe.webhook_secrets, stripe.webhook_tolerance_s)
    except MalformedWebhook as exc:
        WEBHOOKS.labels("stripe", "malformed").inc()
        raise _malformed(str(exc)) from exc
    except InvalidWebhook as exc:
        WEBHOOKS.labels("stripe", "invalid_signature").inc()
        raise InvalidWebhookSignature(
            f"Tanda tangan webhook tidak sah atau kedaluwarsa. / The webhook signature is invalid or stale: {exc}"
        ) from exc
    body = json.loads(payload)
    created = body.get("created")
    if len(event.id) > 255 or len(event.type) > 80:
        raise _malformed("event id or type too long")
    if created is not None and (type(created) is not int or not _EARLIEST <= created <= _LATEST):
        raise _malformed("'created' is not a plausible Unix time")
    settings = settings_mod.current()
    # The day the payment happened at the gateway, in our timezone: it dates the ledger and retries.
    tz = ZoneInfo(settings.timezone)
    today = datetime.fromtimestamp(created, tz).date() if created is not None else settings_mod.today()
    receipt = service.receive(db.session(), "stripe", app_gateway("stripe"), event, body, today, retry_policy(settings))
    WEBHOOKS.labels("stripe", "duplicate" if receipt.duplicate else str(receipt.status)).inc()
    return receipt.model_dump(mode="json")


@bp.post(
    "/webhooks/snap/v1.0/debit/notify",
    responses={200: SnapNotifyReceipt},
    security=[],
    openapi_extensions=SNAP_NOTIFY_DOC,
)
@public
def snap_notify():  # type: ignore[no-untyped-def]
    """Notifikasi debit SNAP, diautentikasi tanda tangan bank / SNAP debit notify callbacks, authenticated
    by the provider's signature"""
    payload = request.get_data(cache=True)
    gateway = app_gateway("snap")
    assert isinstance(gateway, SnapGateway)
    try:
        # The signature covers the path the provider called: ours, as this request arrived.
        event = gateway.parse_notify(payload, request.headers, request.path)
    except MalformedWebhook as exc:
        WEBHOOKS.labels("snap", "malformed").inc()
        raise MalformedWebhookBody(
            f"Tanda tangan sah, tetapi isinya bukan notifikasi debit SNAP: {exc} / "
            f"The signature is valid, but the body is not a SNAP debit notify: {exc}"
        ) from exc
    except InvalidWebhook as exc:
        WEBHOOKS.labels("snap", "invalid_signature").inc()
        raise InvalidWebhookSignature(
            f"Tanda tangan notifikasi tidak sah atau kedaluwarsa. / The notify signature is invalid or stale: {exc}"
        ) from exc
    body = json.loads(payload)
    settings = settings_mod.current()
    # The day the bank took the money, in WIB: it dates the ledger and retries.
    today = snap_wire.day_of(body.get("paidTime")) or settings_mod.today()
    receipt = service.receive(db.session(), "snap", gateway, event, body, today, retry_policy(settings))
    WEBHOOKS.labels("snap", "duplicate" if receipt.duplicate else str(receipt.status)).inc()
    return {"responseCode": "2005600", "responseMessage": "Successful", **receipt.model_dump(mode="json")}


@bp.get("/gateway-events", responses={200: GatewayEventPage})
@roles(*STAFF)
def list_gateway_events(query: GatewayEventQuery):  # type: ignore[no-untyped-def]
    """Peristiwa gateway dan nasibnya (ditolak, tertunda…) / Gateway events and what became of them"""
    stmt = select(GatewayEvent).order_by(col(GatewayEvent.id).desc())
    if query.status:
        stmt = stmt.where(GatewayEvent.status == query.status)
    rows, total = paginate(db.session(), stmt, query)
    items = [GatewayEventOut.model_validate(r) for r in rows]
    return GatewayEventPage(items=items, page=query.page, per_page=query.per_page, total=total).model_dump(mode="json")
