"""Contract tests against localstripe, a fake Stripe from PyPI: what it implements is checked here.

Where localstripe differs from Stripe, the test says so and the behaviour is covered against the bank
simulator's Stripe face instead (tests/gateways/stripe/test_face.py):
- it ignores Idempotency-Key: a replay creates a second PaymentIntent (test_face: replays, mismatches);
- its only decline is ``card_declined`` with no ``decline_code`` (test_face: insufficient funds, bank codes);
- it has no PaymentIntent search (test_face: settling timeouts from another process);
- its SetupIntent confirm refuses ``return_url`` (400 "Unexpected return_url"), which Stripe needs to
  send a payer to a bank's or 3-D Secure page (``next_action.redirect_to_url``); its next action is only
  ``use_stripe_sdk``. Creating, confirming without it and reading an intent work (test below).
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from billing.gateways.base import ChargeStatus, SetupRequest, SetupStatus
from billing.gateways.failures import FailureCode as F
from billing.gateways.stripe.client import StripeGateway
from billing.gateways.stripe.settings import StripeSettings
from tests.debits.world import rows
from tests.webhooks import conftest as hooks
from tests.webhooks.conftest import SECRET, WEBHOOK_PATH, stripe_world

from .conftest import req
from .localstripe_server import LocalStripe

# The webhook fixtures: the app served on 127.0.0.1, and the webhook secrets it accepts.
live_url = hooks.live_url
webhook_secrets = hooks.webhook_secrets

# localstripe registers plain functions as handlers, which aiohttp deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Bare functions are deprecated:DeprecationWarning")

API_KEY = "sk_test_localstripe"
CARD_OK = "4242424242424242"
CARD_DECLINED_ON_CHARGE = "4000000000000341"  # attaches, then every charge is declined


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    server = LocalStripe(Path(tmp_path_factory.mktemp("localstripe")) / "localstripe.pickle").start()
    yield server
    server.stop()


@pytest.fixture
def api(localstripe: LocalStripe) -> Iterator[httpx.Client]:
    """Direct calls for what a client-side flow would do (creating the card's PaymentMethod)."""
    with httpx.Client(base_url=localstripe.url, auth=(API_KEY, "")) as client:
        yield client


@pytest.fixture
def gateway(localstripe: LocalStripe) -> Iterator[StripeGateway]:
    gw = StripeGateway(StripeSettings(base_url=localstripe.url, api_key=API_KEY, max_retries=0))
    yield gw
    gw.close()


def card(api: httpx.Client, number: str) -> str:
    body = {
        "type": "card",
        "card[number]": number,
        "card[exp_month]": "12",
        "card[exp_year]": "2030",
        "card[cvc]": "123",
    }
    resp = api.post("/v1/payment_methods", data=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["id"]


def mandate_token(gateway: StripeGateway, api: httpx.Client, number: str, reference: str) -> str:
    customer = gateway.create_customer(reference, "Siti Aminah")
    return gateway.attach_payment_method(customer, card(api, number))


def test_customer_and_payment_method(gateway: StripeGateway, api: httpx.Client) -> None:
    token = mandate_token(gateway, api, CARD_OK, "participant-1")
    customer, _, pm = token.partition(":")
    assert customer.startswith("cus_") and pm.startswith("pm_")
    assert api.get(f"/v1/customers/{customer}").json()["metadata"] == {"reference": "participant-1"}
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] == customer


def test_off_session_payment_intent_succeeds(gateway: StripeGateway, api: httpx.Client) -> None:
    token = mandate_token(gateway, api, CARD_OK, "participant-2")
    result = gateway.charge(req(token, "attempt-key-2", contribution_id="5", attempt_id="2"))
    assert result.succeeded and result.gateway_reference.startswith("pi_")
    intent = api.get(f"/v1/payment_intents/{result.gateway_reference}").json()
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 1_680_000, "idr")
    assert intent["customer"] == token.partition(":")[0]
    assert intent["metadata"] == {"contribution_id": "5", "attempt_id": "2", "idempotency_key": "attempt-key-2"}


def test_off_session_payment_intent_declines(gateway: StripeGateway, api: httpx.Client) -> None:
    token = mandate_token(gateway, api, CARD_DECLINED_ON_CHARGE, "participant-3")
    result = gateway.charge(req(token, "attempt-key-3"))
    # localstripe differs from Stripe: card_declined without a decline_code, so only a generic decline.
    assert (result.status, result.failure_code, result.raw_code) == (
        ChargeStatus.failed,
        F.generic_decline,
        "card_declined",
    )


def test_localstripe_ignores_idempotency_keys(gateway: StripeGateway, api: httpx.Client) -> None:
    """Stripe would return the first intent; localstripe creates another. The face covers the real rule."""
    token = mandate_token(gateway, api, CARD_OK, "participant-4")
    first = gateway.charge(req(token, "replayed-key"))
    second = gateway.charge(req(token, "replayed-key"))
    assert first.succeeded and second.succeeded
    assert first.gateway_reference != second.gateway_reference


# PostgreSQL only: localstripe delivers the webhook to the live server's thread while this test is
# still writing, and SQLite's one-writer file then refuses one of them ("database is locked"). The
# webhook's storage on SQLite is covered by tests/webhooks against the simulator's face.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_webhook_with_a_real_signature_is_accepted(  # type: ignore[no-untyped-def]
    localstripe: LocalStripe, api: httpx.Client, gateway: StripeGateway, engine, settings, live_url: str
) -> None:
    resp = api.post("/_config/webhooks/billing", data={"url": live_url + WEBHOOK_PATH, "secret": SECRET})
    assert resp.status_code == 200
    token = mandate_token(gateway, api, CARD_OK, "participant-5")
    stripe_world(engine, settings, localstripe.url, [token])
    [(key, status)] = rows(engine, "SELECT idempotency_key, status FROM debit_attempt")
    assert status == "succeeded"
    deadline = time.monotonic() + 10  # localstripe waits a second before it sends
    query = "SELECT payload FROM gateway_event WHERE type = 'payment_intent.succeeded' AND applied_at IS NOT NULL"
    while time.monotonic() < deadline and not rows(engine, query):
        time.sleep(0.1)
    [(payload,)] = rows(engine, query)
    payload = payload if isinstance(payload, dict) else json.loads(payload)
    assert payload["data"]["object"]["metadata"]["idempotency_key"] == key


def test_a_setup_intent_binds_a_card(gateway: StripeGateway, api: httpx.Client) -> None:
    """``start_setup`` creates the SetupIntent in Stripe's wire format; localstripe then refuses the
    confirm's ``return_url``, so the binding is not made. Confirmed without it (as Stripe.js would on a
    page), ``retrieve_setup`` reads it as bound, and the token it gives is charged off-session."""
    customer = gateway.create_customer("participant-9", "Siti Aminah")
    pm = card(api, CARD_OK)
    ask = SetupRequest(
        customer=customer,
        channel="bank",
        provider="BRI",
        max_amount=8_400,
        debit_day=5,
        return_url="http://127.0.0.1/saya/autodebet/kembali/9",
        idempotency_key="consent-9",
        payment_method=pm,
        metadata={"consent_id": "9"},
    )
    refused = gateway.start_setup(ask)
    assert refused.status is SetupStatus.failed and refused.reference.startswith("seti_")
    intent = api.get(f"/v1/setup_intents/{refused.reference}").json()
    assert (intent["customer"], intent["usage"], intent["payment_method_types"]) == (customer, "off_session", ["card"])
    assert intent["metadata"] == {"consent_id": "9", "idempotency_key": "consent-9"}
    confirmed = api.post(f"/v1/setup_intents/{refused.reference}/confirm", data={"payment_method": pm})
    assert confirmed.status_code == 200, confirmed.text
    bound = gateway.retrieve_setup(refused.reference)
    assert bound is not None and bound.status is SetupStatus.succeeded
    assert bound.payment_method == f"{customer}:{pm}"
    assert gateway.retrieve_setup("seti_doesnotexist") is None
    api.post(f"/v1/payment_methods/{pm}/attach", data={"customer": customer})  # Stripe attaches on confirm
    assert gateway.charge(req(bound.payment_method, "attempt-key-9")).succeeded
