"""Stripe-shaped JSON built from the bank's answers: PaymentIntents, errors, events.

The bank answers in SNAP codes; here each becomes what Stripe would say about a bank debit or a
card: a decline as a 402 ``card_error`` with ``code``/``decline_code``/``advice_code``, an outage as a
500 ``api_error``, throttling as a 429 ``rate_limit``."""

import hashlib
from typing import Any

from billing.gateways.base import ChargeResult
from billing.gateways.simulator import codes as snap
from billing.gateways.stripe.settings import API_VERSION

# SNAP case → (code, decline_code, advice_code) as Stripe reports such a decline.
DECLINES: dict[str, tuple[str, str | None, str | None]] = {
    "403xx14": ("card_declined", "insufficient_funds", "try_again_later"),
    "403xx05": ("card_declined", "do_not_honor", None),
    "403xx15": ("card_declined", "generic_decline", None),
    "403xx02": ("card_declined", "card_velocity_exceeded", "try_again_later"),
    "403xx23": ("card_declined", "card_velocity_exceeded", "try_again_later"),
    "403xx18": ("bank_account_closed", None, None),
    "403xx07": ("bank_account_restricted", None, None),
    "403xx09": ("bank_account_frozen", None, None),
    "404xx11": ("bank_account_invalid_details", None, None),
    "401xx02": ("debit_not_authorized", None, None),
}


def object_id(prefix: str, seed: str) -> str:
    """Stable ids: the same idempotency key names the same object in every process and run."""
    return prefix + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def error(kind: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **{k: v for k, v in fields.items() if v is not None}}}


def decline(result: ChargeResult) -> dict[str, Any]:
    """The ``last_payment_error`` of a declined charge."""
    pattern = (result.raw_code or "")[:3] + "xx" + (result.raw_code or "")[5:]
    code, decline_code, advice = DECLINES.get(pattern, ("card_declined", "generic_decline", None))
    found = snap.SNAP_CASES.get(pattern)
    message = f"{found.message} ({result.raw_code})" if found else "Your payment was declined."
    return {
        "type": "card_error",
        "code": code,
        "message": message,
        **({"decline_code": decline_code} if decline_code else {}),
        **({"advice_code": advice} if advice else {}),
    }


def intent(
    pi_id: str,
    params: dict[str, Any],
    status: str,
    created: int,
    last_error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": int(params["amount"]),
        "amount_received": int(params["amount"]) if status == "succeeded" else 0,
        "currency": params["currency"],
        "customer": params.get("customer"),
        "payment_method": params["payment_method"],
        "payment_method_types": ["sim_bank_debit"],
        "capture_method": "automatic",
        "confirmation_method": "automatic",
        "latest_charge": object_id("ch_", pi_id) if status != "processing" else None,
        "metadata": dict(params.get("metadata") or {}),
        "status": status,
        "last_payment_error": last_error,
        "created": created,
        "livemode": False,
    }


def event(
    event_type: str, obj: dict[str, Any], created: int, idempotency_key: str | None, seed: str = ""
) -> dict[str, Any]:
    """``seed`` tells apart events of one type about one object (each refund of a charge)."""
    return {
        "id": object_id("evt_", f"{obj['id']}:{event_type}{seed}"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": idempotency_key},
        "data": {"object": obj},
    }


def charge(intent_obj: dict[str, Any], amount_refunded: int) -> dict[str, Any]:
    """The Charge behind a succeeded intent, as ``charge.refunded`` carries it (amounts in minor units)."""
    return {
        "id": intent_obj["latest_charge"],
        "object": "charge",
        "amount": intent_obj["amount"],
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded >= intent_obj["amount"],
        "currency": intent_obj["currency"],
        "payment_intent": intent_obj["id"],
        "status": "succeeded",
        "livemode": False,
    }


def refund(
    re_id: str, intent_obj: dict[str, Any], amount: int, status: str, created: int, key: str | None
) -> dict[str, Any]:
    return {
        "id": re_id,
        "object": "refund",
        "amount": amount,
        "charge": intent_obj["latest_charge"],
        "payment_intent": intent_obj["id"],
        "currency": intent_obj["currency"],
        "status": status,
        "metadata": {"idempotency_key": key} if key else {},
        "created": created,
    }


def dispute(dp_id: str, intent_obj: dict[str, Any], amount: int, status: str, created: int) -> dict[str, Any]:
    return {
        "id": dp_id,
        "object": "dispute",
        "amount": amount,
        "charge": intent_obj["latest_charge"],
        "payment_intent": intent_obj["id"],
        "currency": intent_obj["currency"],
        "reason": "general",
        "status": status,
        "created": created,
    }


def page(data: list[dict[str, Any]], url: str, limit: int, after: str | None) -> dict[str, Any]:
    """One page of a Stripe list, oldest first here (Stripe lists newest first; order is all we vary)."""
    start = 0
    if after is not None:
        start = next((i + 1 for i, item in enumerate(data) if item["id"] == after), len(data))
    chunk = data[start : start + limit]
    return {"object": "list", "url": url, "has_more": start + limit < len(data), "data": chunk}
