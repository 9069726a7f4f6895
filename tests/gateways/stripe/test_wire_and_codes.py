"""Stripe's wire format and the mapping of its codes onto our taxonomy (no network)."""

import httpx
import pytest

from billing.gateways.failures import FailureCode as F
from billing.gateways.stripe import wire
from billing.gateways.stripe.client import StripeGateway
from billing.gateways.stripe.codes import failure_code, raw_code
from billing.gateways.stripe.settings import API_VERSION, StripeSettings

from .conftest import req


def test_idr_is_two_decimal_at_the_boundary() -> None:
    assert wire.to_minor(16_800, "idr") == 1_680_000
    assert wire.from_minor(1_680_000, "IDR") == 16_800
    assert wire.to_minor(500, "jpy") == 500
    with pytest.raises(ValueError, match="not a whole amount"):
        wire.from_minor(1_680_050, "idr")


def test_nested_keys_round_trip() -> None:
    params = {"amount": 1_680_000, "confirm": True, "metadata": {"attempt_id": "7", "contribution_id": "3"}}
    body = wire.encode(params)
    assert body == b"amount=1680000&confirm=true&metadata%5Battempt_id%5D=7&metadata%5Bcontribution_id%5D=3"
    assert wire.decode(body) == {
        "amount": "1680000",
        "confirm": "true",
        "metadata": {"attempt_id": "7", "contribution_id": "3"},
    }


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"},
            402,
            F.insufficient_funds,
        ),
        ({"type": "card_error", "code": "expired_card"}, 402, F.invalid_account),
        ({"type": "card_error", "code": "card_declined", "decline_code": "do_not_honor"}, 402, F.do_not_honor),
        (
            {"type": "card_error", "code": "authentication_required", "decline_code": "authentication_required"},
            402,
            F.authentication_required,
        ),
        ({"type": "card_error", "code": "bank_account_closed"}, 402, F.account_closed),
        ({"type": "card_error", "code": "debit_not_authorized"}, 402, F.mandate_revoked),
        ({"type": "card_error", "code": "bank_account_invalid_details"}, 402, F.invalid_account),
        ({"type": "card_error", "code": "card_declined", "decline_code": "lost_card"}, 402, F.account_blocked),
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "card_velocity_exceeded"},
            402,
            F.limit_exceeded,
        ),
        # localstripe's only decline: card_declined, no decline_code.
        ({"type": "invalid_request_error", "code": "card_declined"}, 402, F.generic_decline),
        # The issuer's advice stops a soft decline; it never softens a hard one.
        (
            {"code": "card_declined", "decline_code": "generic_decline", "advice_code": "do_not_try_again"},
            402,
            F.account_blocked,
        ),
        (
            {"code": "card_declined", "decline_code": "do_not_honor", "advice_code": "confirm_card_data"},
            402,
            F.invalid_account,
        ),
        (
            {"code": "card_declined", "decline_code": "insufficient_funds", "advice_code": "try_again_later"},
            402,
            F.insufficient_funds,
        ),
        ({"code": "bank_account_closed", "advice_code": "confirm_card_data"}, 402, F.account_closed),
        ({"type": "card_error", "code": "something_new"}, 402, F.generic_decline),
        ({"type": "api_error"}, 500, F.gateway_error),
        ({"type": "invalid_request_error"}, 429, F.rate_limited),
    ],
)
def test_stripe_codes_map_onto_our_taxonomy(error: dict[str, str], status: int, expected: F) -> None:
    assert failure_code(error, status) is expected


def test_raw_code_keeps_stripes_own_codes() -> None:
    assert raw_code(
        {"code": "card_declined", "decline_code": "insufficient_funds", "advice_code": "try_again_later"}
    ) == ("card_declined/insufficient_funds/try_again_later")
    assert raw_code({"type": "api_error"}) == "api_error"


def test_a_charge_request_on_the_wire() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "pi_1", "object": "payment_intent", "status": "succeeded"})

    settings = StripeSettings(api_key="sk_test_123", base_url="http://stripe.test")
    gateway = StripeGateway(settings, transport=httpx.MockTransport(answer))
    result = gateway.charge(req("cus_9:pm_8", "attempt-key-1", contribution_id="3", attempt_id="7"))
    gateway.close()
    assert result.succeeded and result.gateway_reference == "pi_1"
    [sent] = seen
    assert (sent.method, sent.url.path) == ("POST", "/v1/payment_intents")
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Idempotency-Key"] == "attempt-key-1"
    assert sent.headers["Stripe-Version"] == API_VERSION
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert wire.decode(sent.content) == {
        "amount": "1680000",
        "currency": "idr",
        "payment_method": "pm_8",
        "customer": "cus_9",
        "confirm": "true",
        "off_session": "true",
        "metadata": {"contribution_id": "3", "attempt_id": "7", "idempotency_key": "attempt-key-1"},
    }
