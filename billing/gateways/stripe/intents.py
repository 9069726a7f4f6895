"""What a PaymentIntent (or an event about one) says about our charge."""

from typing import Any

from billing.gateways.base import ChargeResult, ChargeStatus, WebhookEvent
from billing.gateways.failures import FailureCode
from billing.gateways.stripe.codes import failure_code, raw_code

INTENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.processing"})
KEY_FIELD = "idempotency_key"  # metadata field carrying our key: events and searches find the attempt by it

_SUCCEEDED, _FAILED, _UNKNOWN = ChargeStatus.succeeded, ChargeStatus.failed, ChargeStatus.unknown


def result_of_intent(intent: dict[str, Any]) -> ChargeResult:
    ref = intent.get("id")
    status = intent.get("status")
    if status == "succeeded":
        return ChargeResult(_SUCCEEDED, None, ref, "succeeded", "")
    if status in ("processing", "requires_capture", "requires_confirmation"):
        # A bank debit settles later: the outcome is not known yet (settle it later, same key).
        return ChargeResult(_UNKNOWN, FailureCode.gateway_error, ref, str(status), "payment still processing")
    error = intent.get("last_payment_error") or {}
    if status == "requires_action":  # off-session, so nobody can complete 3-D Secure or an OTP
        code = FailureCode.authentication_required
    else:
        code = failure_code(error) if error else FailureCode.generic_decline
    return ChargeResult(_FAILED, code, ref, raw_code(error) if error else str(status), str(error.get("message", "")))


def webhook_event(body: dict[str, Any]) -> WebhookEvent:
    """The normalised event; KeyError/TypeError/AttributeError on a body that is not a Stripe event."""
    obj = body["data"]["object"]
    event_type = body["type"]
    if event_type in INTENT_EVENTS and obj.get("object") == "payment_intent":
        result = result_of_intent(obj)  # the event's snapshot of the intent, not its state now
        key = str((obj.get("metadata") or {}).get(KEY_FIELD, ""))
        return WebhookEvent(body["id"], event_type, key, obj.get("id"), result)
    return WebhookEvent(body["id"], event_type, "", obj.get("id"), ChargeResult(_UNKNOWN))
