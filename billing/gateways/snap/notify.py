"""The provider's notify callback (``POST …/v1.0/debit/notify``, service 56): a debit's final status,
signed with the provider's private key (SHA256withRSA over ``POST:path:hex sha256(minified body):
X-TIMESTAMP``). Deliveries are at least once and in any order: the event id is the provider's
reference and the status, so a duplicate is stored once and a status the books already have changes
nothing."""

import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from billing.gateways.base import ChargeResult, ChargeStatus, EventKind, InvalidWebhook, MalformedWebhook, WebhookEvent
from billing.gateways.snap import codes, results, signing, wire


def verify(
    payload: bytes,
    headers: Mapping[str, str],
    path: str,
    public_key: rsa.RSAPublicKey | None,
    tolerance_s: int,
    now: float | None = None,
    method: str = "POST",
) -> None:
    """``InvalidWebhook`` unless the provider signed this body for this path within the tolerance."""
    if public_key is None:
        raise InvalidWebhook("no provider public key is configured: every callback is refused")
    lower = {k.lower(): v for k, v in headers.items()}
    stamp, signature = lower.get("x-timestamp", ""), lower.get("x-signature", "")
    if not stamp or not signature:
        raise InvalidWebhook("X-TIMESTAMP or X-SIGNATURE missing")
    try:
        moment = wire.parse_timestamp(stamp).timestamp()
    except ValueError:
        raise InvalidWebhook("X-TIMESTAMP is not an ISO 8601 time with an offset") from None
    current = time.time() if now is None else now
    if abs(current - moment) > tolerance_s:
        raise InvalidWebhook(f"X-TIMESTAMP is outside the {tolerance_s} s tolerance")
    bodies = [payload]
    try:
        minified = wire.minify(json.loads(payload))
    except (ValueError, TypeError):
        minified = payload
    if minified != payload:  # the signature covers the minified body, whatever whitespace was sent
        bodies.append(minified)
    if not any(
        signing.rsa_verify(public_key, signing.notify_string(method, path, b, stamp), signature) for b in bodies
    ):
        raise InvalidWebhook("the signature does not match the payload")


def event(body: dict[str, Any]) -> WebhookEvent:
    """The normalised event; KeyError/TypeError/ValueError for a body that is not a debit notify."""
    key, ref = body["originalPartnerReferenceNo"], body["originalReferenceNo"]
    status = body["latestTransactionStatus"]
    if not all(isinstance(v, str) and v for v in (key, ref, status)) or len(ref) > 200:
        raise TypeError("originalPartnerReferenceNo, originalReferenceNo and latestTransactionStatus must be strings")
    if status not in codes.STATUSES:
        raise ValueError(f"unknown latestTransactionStatus {status!r}")
    amount, currency = wire.rupiah(body["amount"])
    result = results.of_status(body) or ChargeResult(ChargeStatus.unknown)
    return WebhookEvent(
        f"{ref}:{status}", f"debit.notify.{status}", key, ref, result, EventKind.outcome, amount, currency
    )


def parse(
    payload: bytes,
    headers: Mapping[str, str],
    path: str,
    public_key: rsa.RSAPublicKey | None,
    tolerance_s: int,
    now: float | None = None,
) -> WebhookEvent:
    verify(payload, headers, path, public_key, tolerance_s, now)
    try:
        body = json.loads(payload)
        if not isinstance(body, dict):
            raise TypeError("the body is not a JSON object")
        return event(body)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedWebhook(f"malformed notify callback: {exc}") from exc
