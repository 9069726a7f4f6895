"""The adapter's behaviour over HTTP against the bank simulator's Stripe face: what localstripe cannot
show (it ignores Idempotency-Key and has no decline codes) is shown here."""

from datetime import date

import pytest

from billing.gateways.base import ChargeStatus, IdempotencyMismatch, UnknownPaymentMethod
from billing.gateways.failures import FailureCode as F
from billing.gateways.simulator.stripe_face import FaceServer
from tests.gateways.conftest import Clock

from .conftest import GatewayFactory, req


def test_customer_and_payment_method(gateway, face: FaceServer) -> None:  # type: ignore[no-untyped-def]
    customer = gateway.create_customer("participant-1", "Siti Aminah")
    assert customer.startswith("cus_") and face.face.customers[customer]["metadata"] == {"reference": "participant-1"}
    assert gateway.create_customer("participant-1", "Siti Aminah") == customer  # same key, same customer
    token = gateway.attach_payment_method(customer, "sim_ok")
    assert token == f"{customer}:sim_ok"
    result = gateway.charge(req(token, "k-1", attempt_id="1"))
    assert result.succeeded and result.gateway_reference.startswith("pi_")
    intent = face.face.intents[result.gateway_reference]
    assert (intent["amount"], intent["currency"], intent["customer"]) == (1_680_000, "idr", customer)
    assert intent["metadata"] == {"attempt_id": "1", "idempotency_key": "k-1"}
    with pytest.raises(UnknownPaymentMethod):
        gateway.attach_payment_method(customer, "no_such_account")


def test_insufficient_funds_then_success_after_payday(gateway, face: FaceServer, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    failed = gateway.charge(req("sim_insufficient_until_payday_25", "try-1"))
    assert (failed.status, failed.failure_code) == (ChargeStatus.failed, F.insufficient_funds)
    assert failed.raw_code == "card_declined/insufficient_funds/try_again_later"
    clock.today = date(2026, 1, 25)  # payday
    assert gateway.charge(req("sim_insufficient_until_payday_25", "try-2")).succeeded
    assert face.face.bank.debits("sim_insufficient_until_payday_25") == 1


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("sim_account_closed", F.account_closed),
        ("sim_account_dormant", F.account_blocked),
        ("sim_invalid_account", F.invalid_account),
        ("sim_mandate_revoked", F.mandate_revoked),
        ("sim_limit_exceeded", F.limit_exceeded),
    ],
)
def test_bank_declines_arrive_as_stripe_codes(gateway, token: str, code: F) -> None:  # type: ignore[no-untyped-def]
    result = gateway.charge(req(token, f"key-{token}"))
    assert (result.status, result.failure_code) == (ChargeStatus.failed, code)
    assert result.gateway_reference.startswith("pi_")


def test_idempotent_replay_returns_the_first_answer(gateway, face: FaceServer) -> None:  # type: ignore[no-untyped-def]
    first = gateway.charge(req("sim_ok", "same-key"))
    again = gateway.charge(req("sim_ok", "same-key"))
    assert first == again
    assert face.face.bank.debits("sim_ok") == 1 and face.face.bank.total_debited() == 16_800
    declined = gateway.charge(req("sim_insufficient_funds", "declined-key"))
    assert gateway.charge(req("sim_insufficient_funds", "declined-key")) == declined  # failures replay too


def test_replay_with_another_amount_is_refused(gateway, face: FaceServer) -> None:  # type: ignore[no-untyped-def]
    assert gateway.charge(req("sim_ok", "key-a")).succeeded
    with pytest.raises(IdempotencyMismatch, match="same parameters"):
        gateway.charge(req("sim_ok", "key-a", amount=36_800))
    assert face.face.bank.total_debited() == 16_800


def test_timeouts_settled_by_lookup_then_the_same_key(make_gateway: GatewayFactory, face: FaceServer) -> None:
    gateway = make_gateway(max_retries=0)  # no retry inside charge: the engine's settlement does it
    charged = gateway.charge(req("sim_timeout_then_ok", "t-after"))
    not_charged = gateway.charge(req("sim_timeout_before_charge", "t-before"))
    assert charged.status is ChargeStatus.unknown and not_charged.status is ChargeStatus.unknown
    assert face.face.bank.debits("sim_timeout_then_ok") == 1  # money moved, the answer was lost
    assert face.face.bank.debits("sim_timeout_before_charge") == 0
    posts = face.face.requests
    found = gateway.lookup("t-after")  # read only: found by the key in the intent's metadata
    assert found is not None and found.succeeded
    assert gateway.lookup("t-before") is None  # the gateway never received it
    assert face.face.bank.debits("sim_timeout_before_charge") == 0  # looking up sends nothing
    assert face.face.requests == posts + 2
    assert gateway.charge(req("sim_timeout_before_charge", "t-before")).succeeded  # the engine's replay
    assert face.face.bank.debits("sim_timeout_then_ok") == 1
    assert face.face.bank.debits("sim_timeout_before_charge") == 1


def test_timeouts_settled_by_another_process_through_search(make_gateway: GatewayFactory, face: FaceServer) -> None:
    make_gateway(max_retries=0).charge(req("sim_timeout_then_ok", "p-after", attempt_id="1"))
    make_gateway(max_retries=0).charge(req("sim_timeout_before_charge", "p-before", attempt_id="2"))
    other = make_gateway()  # knows nothing of those charges: finds the intents by their metadata
    found = other.lookup("p-after", {"attempt_id": "1"})
    assert found is not None and found.succeeded
    assert other.lookup("p-before", {"attempt_id": "2"}) is None  # certain: no intent carries this key
    assert other.charge(req("sim_timeout_before_charge", "p-before", attempt_id="2")).succeeded
    assert face.face.bank.debits("sim_timeout_then_ok") == 1
    assert face.face.bank.debits("sim_timeout_before_charge") == 1


def test_timeouts_and_outages_are_retried_with_the_same_key(make_gateway: GatewayFactory, face: FaceServer) -> None:
    gateway = make_gateway(max_retries=2)
    assert gateway.charge(req("sim_timeout_then_ok", "r-1")).succeeded
    assert gateway.charge(req("sim_timeout_before_charge", "r-2")).succeeded
    assert gateway.charge(req("sim_gateway_error_once", "r-3")).succeeded  # a 500, then the replay
    bank = face.face.bank
    assert [bank.debits(t) for t in ("sim_timeout_then_ok", "sim_timeout_before_charge", "sim_gateway_error_once")] == [
        1,
        1,
        1,
    ]


def test_429_waits_as_long_as_retry_after_says(make_gateway: GatewayFactory, face: FaceServer) -> None:
    waited: list[float] = []
    gateway = make_gateway(sleep=waited.append)
    face.face.retry_after_s = 7
    face.face.throttle_next = 2
    assert gateway.charge(req("sim_ok", "busy")).succeeded
    assert waited == [7.0, 7.0] and face.face.requests == 3
    face.face.throttle_next = 10  # longer than the retries: a transient failure, the engine retries later
    throttled = make_gateway(sleep=waited.append, max_retries=1).charge(req("sim_ok", "busier"))
    assert (throttled.status, throttled.failure_code) == (ChargeStatus.failed, F.rate_limited)
    face.face.retry_after_s = 120  # beyond max_retry_after_s: no point waiting in the run
    face.face.throttle_next = 1
    assert make_gateway(sleep=waited.append).charge(req("sim_ok", "busiest")).failure_code is F.rate_limited
    assert waited == [7.0, 7.0, 7.0]
