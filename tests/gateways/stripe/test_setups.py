"""SetupIntents as Stripe answers them, read into our ``SetupResult`` (the shapes of Stripe's API
reference for 2024-06-20): a redirect to confirm at the bank, a bound method charged with its customer,
a refusal with its code."""

import pytest

from billing.gateways.base import GatewayError, SetupRequest, SetupStatus
from billing.gateways.stripe import setups


def test_a_redirect_is_the_page_where_the_payer_confirms() -> None:
    body = {
        "id": "seti_1",
        "status": "requires_action",
        "customer": "cus_1",
        "next_action": {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": "https://hooks.stripe.com/redirect/x", "return_url": "https://us/back"},
        },
    }
    found = setups.result(body)
    assert (found.status, found.next_action_url) == (SetupStatus.requires_action, "https://hooks.stripe.com/redirect/x")
    sdk = setups.result({"id": "seti_1", "status": "requires_action", "next_action": {"type": "use_stripe_sdk"}})
    assert sdk.status is SetupStatus.requires_action and sdk.next_action_url is None


def test_a_bound_method_is_charged_with_its_customer() -> None:
    found = setups.result(
        {"id": "seti_2", "status": "succeeded", "customer": {"id": "cus_2"}, "payment_method": "pm_2"}
    )
    assert (found.status, found.payment_method) == (SetupStatus.succeeded, "cus_2:pm_2")
    alone = setups.result({"id": "seti_3", "status": "succeeded", "customer": None, "payment_method": {"id": "pm_3"}})
    assert alone.payment_method == "pm_3"


def test_a_refusal_carries_its_code() -> None:
    body = {
        "id": "seti_4",
        "status": "requires_payment_method",
        "last_setup_error": {"code": "card_declined", "decline_code": "do_not_honor", "message": "declined"},
    }
    found = setups.result(body)
    assert (found.status, found.failure_code, found.message) == (SetupStatus.failed, "do_not_honor", "declined")
    assert setups.result({"id": "seti_5", "status": "canceled"}).failure_code == "canceled"


def test_the_wire_format_of_a_setup() -> None:
    ask = SetupRequest(
        customer="cus_1",
        channel="bank",
        provider="BRI",
        max_amount=8_400,
        debit_day=5,
        return_url="https://us/back",
        idempotency_key="consent-1",
        metadata={"consent_id": "1"},
    )
    assert setups.create_params(ask, "card") == {
        "customer": "cus_1",
        "usage": "off_session",
        "payment_method_types": ["card"],
        "metadata": {"consent_id": "1", "idempotency_key": "consent-1"},
    }
    with pytest.raises(GatewayError, match="Stripe collects the payment method itself"):
        setups.confirm_params(ask)
