import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing import settings as settings_mod
from billing.auth.guard import public
from billing.debits.policy import from_settings as retry_policy
from billing.errors import BillingError
from billing.gateways.base import InvalidWebhook
from billing.gateways.stripe.client import parse_webhook
from billing.gateways.stripe.settings import StripeSettings
from billing.webhooks import service
from billing.webhooks.schemas import WebhookReceipt

tag = Tag(name="webhooks")
bp = APIBlueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", abp_tags=[tag])


class InvalidWebhookSignature(BillingError):
    status = 400
    code = "invalid_webhook_signature"
    title = "Webhook tidak sah / Invalid webhook"


@bp.post("/stripe", responses={200: WebhookReceipt}, security=[])
@public
def stripe_webhook():  # type: ignore[no-untyped-def]
    """Peristiwa Stripe, diautentikasi tanda tangannya / Stripe events, authenticated by their signature"""
    # The raw bytes, as signed: parsed only once the signature checks out.
    payload = request.get_data(cache=True)
    stripe = StripeSettings()
    try:
        event = parse_webhook(payload, request.headers, stripe.webhook_secrets, stripe.webhook_tolerance_s)
    except InvalidWebhook as exc:
        raise InvalidWebhookSignature(
            f"Tanda tangan webhook tidak sah, kedaluwarsa, atau isinya rusak. / "
            f"The webhook signature is invalid or stale, or its body is malformed: {exc}"
        ) from exc
    body = json.loads(payload)
    settings = settings_mod.current()
    # The day the payment happened at the gateway, in our timezone: it dates the ledger and retries.
    created = body.get("created")
    tz = ZoneInfo(settings.timezone)
    today = datetime.fromtimestamp(created, tz).date() if isinstance(created, int) else settings_mod.today()
    receipt = service.receive(db.engine(), "stripe", event, body, today, retry_policy(settings))
    return receipt.model_dump(mode="json")
