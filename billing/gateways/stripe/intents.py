"""What a PaymentIntent, a Refund, a Dispute (or an event about one) says about our money."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from billing.gateways.base import (
    ChargeResult,
    ChargeStatus,
    EventKind,
    GatewayCharge,
    GatewayReversal,
    RefundResult,
    RefundStatus,
    ReversalKind,
    WebhookEvent,
)
from billing.gateways.failures import FailureCode
from billing.gateways.stripe import wire
from billing.gateways.stripe.codes import failure_code, raw_code

INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.canceled",
    }
)
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})
KEY_FIELD = "idempotency_key"  # metadata field carrying our key: events and searches find the attempt by it

_SUCCEEDED, _FAILED, _UNKNOWN = ChargeStatus.succeeded, ChargeStatus.failed, ChargeStatus.unknown
_REFUND_STATUS = {
    "succeeded": RefundStatus.succeeded,
    "failed": RefundStatus.failed,
    "canceled": RefundStatus.failed,
    "pending": RefundStatus.pending,
    "requires_action": RefundStatus.pending,
}


def result_of_intent(intent: dict[str, Any]) -> ChargeResult:
    ref = intent.get("id")
    status = intent.get("status")
    if status == "succeeded":
        return ChargeResult(_SUCCEEDED, None, ref, "succeeded", "")
    if status in ("processing", "requires_capture", "requires_confirmation"):
        # A bank debit settles later: the outcome is not known yet (read the intent again later).
        return ChargeResult(_UNKNOWN, FailureCode.gateway_error, ref, str(status), "payment still processing")
    error = intent.get("last_payment_error") or {}
    if status == "requires_action":  # off-session, so nobody can complete 3-D Secure or an OTP
        code = FailureCode.authentication_required
    else:
        code = failure_code(error) if error else FailureCode.generic_decline
    return ChargeResult(_FAILED, code, ref, raw_code(error) if error else str(status), str(error.get("message", "")))


def _rupiah(minor: Any, currency: Any) -> int:
    return wire.from_minor(int(minor), str(currency or "idr").lower())


def _key(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get(KEY_FIELD, ""))


def charge_of_intent(intent: dict[str, Any]) -> GatewayCharge:
    created = intent.get("created")
    day = datetime.fromtimestamp(created, UTC).date() if isinstance(created, int) else None
    return GatewayCharge(
        str(intent["id"]),
        _key(intent) or None,
        _rupiah(intent.get("amount", 0), intent.get("currency")),
        str(intent.get("currency", "")).upper(),
        result_of_intent(intent),
        day,
    )


def refund_result(refund: dict[str, Any]) -> RefundResult:
    status = _REFUND_STATUS.get(str(refund.get("status")), RefundStatus.pending)
    return RefundResult(status, refund.get("id"), str(refund.get("failure_reason") or ""))


def reversal_of_refund(refund: dict[str, Any]) -> GatewayReversal:
    return GatewayReversal(
        str(refund["id"]),
        str(refund.get("payment_intent") or ""),
        ReversalKind.refund,
        _rupiah(refund.get("amount", 0), refund.get("currency")),
        _key(refund) or None,
    )


def reversals_of_dispute(dispute: dict[str, Any]) -> Iterator[GatewayReversal]:
    """A dispute took the money when it opened; a won one gave it back."""
    amount = _rupiah(dispute.get("amount", 0), dispute.get("currency"))
    pi = str(dispute.get("payment_intent") or "")
    yield GatewayReversal(str(dispute["id"]), pi, ReversalKind.chargeback, amount)
    if dispute.get("status") == "won":
        yield GatewayReversal(str(dispute["id"]) + ":won", pi, ReversalKind.chargeback_reversed, amount)


def webhook_event(body: dict[str, Any]) -> WebhookEvent:
    """The normalised event; KeyError/TypeError/AttributeError/ValueError on a body that is not a Stripe
    event (the caller answers it as malformed)."""
    obj = body["data"]["object"]
    event_type = body["type"]
    event_id = body["id"]
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(obj, dict):
        raise TypeError("id and type must be strings, data.object an object")
    kind_of_object = obj.get("object")
    if event_type in INTENT_EVENTS and kind_of_object == "payment_intent":
        result = result_of_intent(obj)  # the event's snapshot of the intent, not its state now
        amount = _rupiah(obj["amount"], obj.get("currency"))
        currency = str(obj.get("currency", "")).upper()
        return WebhookEvent(event_id, event_type, _key(obj), obj.get("id"), result, EventKind.outcome, amount, currency)
    pi = obj.get("payment_intent")
    if event_type == "charge.refunded" and kind_of_object == "charge":
        refunded = _rupiah(obj["amount_refunded"], obj.get("currency"))
        return WebhookEvent(event_id, event_type, "", pi, ChargeResult(_UNKNOWN), EventKind.refunded, refunded)
    if event_type.startswith("charge.dispute.") and kind_of_object == "dispute":
        amount = _rupiah(obj["amount"], obj.get("currency"))
        kind = EventKind.other
        if event_type == "charge.dispute.created":
            kind = EventKind.dispute_opened
        elif event_type == "charge.dispute.closed":
            kind = EventKind.dispute_won if obj.get("status") == "won" else EventKind.dispute_lost
        return WebhookEvent(event_id, event_type, "", pi, ChargeResult(_UNKNOWN), kind, amount, object_id=obj.get("id"))
    if event_type in REFUND_EVENTS and kind_of_object == "refund":
        result = refund_result(obj)
        return WebhookEvent(
            event_id,
            event_type,
            "",
            pi,
            ChargeResult(_UNKNOWN),
            EventKind.refund_updated,
            _rupiah(obj.get("amount", 0), obj.get("currency")),
            object_id=obj.get("id"),
            refund_status=result.status,
            refund_key=_key(obj) or None,
        )
    return WebhookEvent(event_id, event_type, "", obj.get("id"), ChargeResult(_UNKNOWN), EventKind.other)
