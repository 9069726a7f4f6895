"""Stripe webhook signatures: ``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]`` where each
``v1`` is HMAC-SHA256 of ``"<t>.<raw body>"`` under an endpoint secret. Several ``v1`` entries and
several secrets exist while a secret is being rolled; any match will do. A timestamp older (or newer)
than the tolerance is refused, so a captured delivery cannot be replayed later."""

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

from billing.gateways.base import InvalidWebhook

HEADER = "Stripe-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300


def compute(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()


def header(payload: bytes, secrets: Sequence[str], timestamp: int | None = None) -> str:
    """The header a sender puts on ``payload``: one ``v1`` per secret (Stripe does this during a roll)."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"{SCHEME}={compute(payload, s, t)}" for s in secrets)])


def header_of(headers: Mapping[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == HEADER.lower()), "")


def verify(
    payload: bytes,
    signature_header: str,
    secrets: Sequence[str],
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> int:
    """The signed timestamp; ``InvalidWebhook`` when no secret signed this payload or it is stale."""
    if not secrets:
        raise InvalidWebhook("no webhook secret is configured: every delivery is refused")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in signature_header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidWebhook("Stripe-Signature header missing or without t= and v1=")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise InvalidWebhook(f"signature timestamp is outside the {tolerance_s} s tolerance")
    for secret in secrets:
        expected = compute(payload, secret, timestamp)
        if any(hmac.compare_digest(expected, s) for s in signatures):
            return timestamp
    raise InvalidWebhook("no signature matches the payload")
