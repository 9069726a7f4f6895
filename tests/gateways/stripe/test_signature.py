"""Stripe-Signature: HMAC-SHA256 over "t.payload", 300 s tolerance, several v1, secrets in rotation."""

import hashlib
import hmac

import pytest

from billing.gateways.base import InvalidWebhook
from billing.gateways.stripe import signature

PAYLOAD = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
NOW = 1_790_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_payload() -> None:
    expected = hmac.new(b"whsec_a", f"{NOW}.".encode() + PAYLOAD, hashlib.sha256).hexdigest()
    assert signature.header(PAYLOAD, ["whsec_a"], NOW) == f"t={NOW},v1={expected}"
    assert signature.verify(PAYLOAD, f"t={NOW},v1={expected}", ["whsec_a"], now=NOW + 299) == NOW


def test_any_v1_and_any_secret_during_a_roll() -> None:
    both = signature.header(PAYLOAD, ["whsec_old", "whsec_new"], NOW)
    assert both.count("v1=") == 2
    assert signature.verify(PAYLOAD, both, ["whsec_new"], now=NOW) == NOW
    old_only = signature.header(PAYLOAD, ["whsec_old"], NOW)
    assert signature.verify(PAYLOAD, old_only, ["whsec_new", "whsec_old"], now=NOW) == NOW
    assert signature.verify(PAYLOAD, f"t={NOW},v0=junk,v1=00ff," + old_only.split(",")[1], ["whsec_old"], now=NOW)


@pytest.mark.parametrize(
    ("header", "now", "message"),
    [
        (signature.header(PAYLOAD, ["whsec_forged"], NOW), NOW, "no signature matches"),
        (signature.header(PAYLOAD, ["whsec_a"], NOW), NOW + 301, "outside the 300 s tolerance"),
        (signature.header(PAYLOAD, ["whsec_a"], NOW), NOW - 301, "outside the 300 s tolerance"),
        (f"t={NOW}", NOW, "missing"),
        ("", NOW, "missing"),
    ],
)
def test_bad_or_stale_signatures_are_refused(header: str, now: int, message: str) -> None:
    with pytest.raises(InvalidWebhook, match=message):
        signature.verify(PAYLOAD, header, ["whsec_a"], now=now)


def test_a_changed_body_is_refused() -> None:
    header = signature.header(PAYLOAD, ["whsec_a"], NOW)
    with pytest.raises(InvalidWebhook, match="no signature matches"):
        signature.verify(PAYLOAD.replace(b"succeeded", b"payment_failed"), header, ["whsec_a"], now=NOW)


def test_no_secret_configured_refuses_everything() -> None:
    with pytest.raises(InvalidWebhook, match="no webhook secret"):
        signature.verify(PAYLOAD, signature.header(PAYLOAD, ["x"], NOW), [], now=NOW)
