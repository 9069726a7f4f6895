"""SNAP's signatures, checked against values computed apart from the adapter's code: the HMAC-SHA512
transaction signature against OpenSSL's output for a string-to-sign written out by hand (the command is
beside it), the SHA256withRSA signatures against ``cryptography``'s primitives applied to hand-written
strings. A provider's published worked examples are checked in test_published_vectors.py; the face's own
checks are the round trips (tests/gateways/snap/test_face.py)."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from billing.gateways.snap import signing, wire
from tests.gateways.snap.conftest import Keys

BODY = {
    "partnerReferenceNo": "2024060512-1",
    "bankCardToken": "snaptok_0a1b2c3d",
    "amount": {"value": "16800.00", "currency": "IDR"},
    "additionalInfo": {},
}
MINIFIED = (
    b'{"partnerReferenceNo":"2024060512-1","bankCardToken":"snaptok_0a1b2c3d",'
    b'"amount":{"value":"16800.00","currency":"IDR"},"additionalInfo":{}}'
)
STAMP = "2026-01-05T10:00:00+07:00"
TOKEN = "gXu1sWq3tCkR9"
# printf '%s' "$MINIFIED" | openssl dgst -sha256
DIGEST = "3ab5df022ddf02b210110f509b14b5209f64252f4309c08d5ef384f399ec165b"
# printf '%s' "POST:/v1.0/debit/payment-host-to-host:gXu1sWq3tCkR9:$DIGEST:2026-01-05T10:00:00+07:00" |
#   openssl dgst -sha512 -hmac 'snap-test-secret' -binary | base64 -w0
HMAC_BY_OPENSSL = "MybJ5P8E5Y7Cqclt8fyZmBUcIDvXOVK4U/zkjtOkpbEvl1zotz2+i/nGYJmDcpEIBAfaFaJ7vFbY/XPKgUPzUQ=="


def test_the_body_is_signed_minified_and_hashed_in_lowercase_hex() -> None:
    assert wire.minify(BODY) == MINIFIED
    assert signing.body_digest(MINIFIED) == DIGEST


def test_transaction_signature_matches_openssl() -> None:
    path = "/v1.0/debit/payment-host-to-host"
    expected = f"POST:/v1.0/debit/payment-host-to-host:{TOKEN}:{DIGEST}:{STAMP}".encode()
    assert signing.transaction_string("post", path, TOKEN, MINIFIED, STAMP) == expected
    got = signing.sign_transaction("snap-test-secret", "POST", path, TOKEN, MINIFIED, STAMP)
    assert got == HMAC_BY_OPENSSL
    assert base64.b64decode(got) == hmac.new(b"snap-test-secret", expected, hashlib.sha512).digest()
    assert signing.hmac_verify("snap-test-secret", expected, got)
    assert not signing.hmac_verify("another-secret", expected, got)
    tampered = signing.transaction_string("POST", path, TOKEN, MINIFIED.replace(b"16800", b"16801"), STAMP)
    assert not signing.hmac_verify("snap-test-secret", tampered, got)


def test_access_token_signature_is_sha256_with_rsa_over_client_id_bar_timestamp(keys: Keys) -> None:
    key = signing.load_private_key(keys.partner)
    got = signing.sign_token(key, "bpu-autodebit", STAMP)
    # PKCS#1 v1.5 is deterministic: the same bytes as cryptography's primitive on the hand-written string.
    direct = key.sign(b"bpu-autodebit|2026-01-05T10:00:00+07:00", padding.PKCS1v15(), hashes.SHA256())
    assert base64.b64decode(got) == direct
    public = signing.load_public_key(keys.partner_public)
    assert signing.rsa_verify(public, b"bpu-autodebit|2026-01-05T10:00:00+07:00", got)
    assert not signing.rsa_verify(public, b"bpu-autodebit|2026-01-05T10:00:01+07:00", got)
    assert not signing.rsa_verify(
        signing.load_public_key(keys.bank_public), signing.token_string("bpu-autodebit", STAMP), got
    )
    assert not signing.rsa_verify(public, b"x", "not base64!")


def test_notify_signature_covers_method_path_body_and_time(keys: Keys) -> None:
    key = signing.load_private_key(keys.bank)
    path = "/api/v1/webhooks/snap/v1.0/debit/notify"
    got = signing.sign_notify(key, "POST", path, MINIFIED, STAMP)
    string = f"POST:{path}:{DIGEST}:{STAMP}".encode()
    assert base64.b64decode(got) == key.sign(string, padding.PKCS1v15(), hashes.SHA256())
    assert signing.rsa_verify(signing.load_public_key(keys.bank_public), string, got)


def test_timestamps_are_wib_to_the_second() -> None:
    moment = datetime(2026, 1, 5, 3, 0, 0, 123456, tzinfo=UTC)
    assert wire.timestamp(moment) == STAMP
    assert wire.parse_timestamp(STAMP) == moment.replace(microsecond=0)
    assert wire.day_of("2026-01-04T23:30:00Z").isoformat() == "2026-01-05"  # type: ignore[union-attr]


def test_external_ids_are_numeric_and_unique() -> None:
    ids = {wire.external_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(i.isdigit() and len(i) == 32 for i in ids)


def test_a_key_file_that_is_not_a_key_is_named_never_shown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3Qta2V5\n-----END PRIVATE KEY-----\n")
    try:
        signing.load_private_key(bad)
    except ValueError as exc:
        assert str(bad) in str(exc) and "c2VjcmV0" not in str(exc)
    else:
        raise AssertionError("a file holding no key was accepted")
