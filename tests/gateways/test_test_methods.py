"""Each test payment method behaves as its table says."""

from datetime import date
from pathlib import Path

import pytest

from billing.gateways.base import ChargeStatus, UnknownPaymentMethod
from billing.gateways.failures import FailureCode
from billing.gateways.simulator import TEST_METHODS, SimulatorGateway, testmethods

from .conftest import CONTRIBUTION, Clock, req

S, F, U = ChargeStatus.succeeded, ChargeStatus.failed, ChargeStatus.unknown


@pytest.mark.parametrize(
    ("token", "code", "raw"),
    [
        ("sim_insufficient_funds", FailureCode.insufficient_funds, "4035414"),
        ("sim_account_closed", FailureCode.account_closed, "4035418"),
        ("sim_account_blocked", FailureCode.account_blocked, "4035407"),
        ("sim_account_dormant", FailureCode.account_blocked, "4035409"),
        ("sim_invalid_account", FailureCode.invalid_account, "4045411"),
        ("sim_mandate_revoked", FailureCode.mandate_revoked, "4015402"),
        ("sim_limit_exceeded", FailureCode.limit_exceeded, "4035402"),
    ],
)
def test_always_failing_methods(
    gateway: SimulatorGateway, clock: Clock, token: str, code: FailureCode, raw: str
) -> None:
    for i, day in enumerate((date(2026, 1, 1), date(2026, 1, 25), date(2026, 12, 31))):
        clock.today = day
        result = gateway.charge(req(token, f"{token}-{i}"))
        assert (result.status, result.failure_code, result.raw_code) == (F, code, raw)
        assert result.gateway_reference == f"sim_ch_{token}-{i}"
    assert gateway.bank.debits(token) == 0
    assert gateway.bank.total_debited() == 0


def test_sim_ok(gateway: SimulatorGateway) -> None:
    results = [gateway.charge(req("sim_ok", f"k{i}", amount=36_800)) for i in range(3)]
    assert [(r.status, r.failure_code, r.raw_code, r.message) for r in results] == [
        (S, None, "2005400", "Successful")
    ] * 3
    assert gateway.bank.debits("sim_ok") == 3
    assert gateway.bank.total_debited() == 3 * 36_800


def test_limit_is_per_transaction(gateway: SimulatorGateway) -> None:
    assert gateway.charge(req("sim_limit_exceeded", "small", amount=5_000)).status is S
    assert gateway.charge(req("sim_limit_exceeded", "big", amount=5_001)).failure_code is FailureCode.limit_exceeded


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2026, 1, 1), F),
        (date(2026, 1, 20), F),
        (date(2026, 1, 24), F),
        (date(2026, 1, 25), S),
        (date(2026, 1, 31), S),
        (date(2026, 2, 1), F),
        (date(2026, 2, 24), F),
        (date(2026, 2, 25), S),
        (date(2026, 2, 28), S),
        (date(2026, 3, 1), F),
        (date(2026, 4, 30), S),
        (date(2026, 12, 31), S),
    ],
)
def test_sim_insufficient_until_payday_25(
    gateway: SimulatorGateway, clock: Clock, day: date, status: ChargeStatus
) -> None:
    clock.today = day
    result = gateway.charge(req("sim_insufficient_until_payday_25", f"k{day}"))
    assert result.status is status
    assert result.failure_code is (None if status is S else FailureCode.insufficient_funds)


def test_sim_timeout_then_ok(gateway: SimulatorGateway) -> None:
    first = gateway.charge(req("sim_timeout_then_ok", "k1"))
    assert (first.status, first.failure_code, first.raw_code, first.gateway_reference) == (
        U,
        FailureCode.gateway_error,
        "5045400",
        None,
    )
    assert gateway.bank.debits("sim_timeout_then_ok") == 1  # the money moved despite the timeout
    looked_up = gateway.lookup("k1")
    assert looked_up is not None and looked_up.status is S and looked_up.gateway_reference == "sim_ch_k1"
    assert gateway.charge(req("sim_timeout_then_ok", "k1")) == looked_up
    assert gateway.bank.debits("sim_timeout_then_ok") == 1
    # Every new key times out once: the behaviour is per key, not per token.
    assert gateway.charge(req("sim_timeout_then_ok", "k2")).status is U
    assert gateway.bank.debits("sim_timeout_then_ok") == 2
    assert gateway.bank.total_debited() == 2 * CONTRIBUTION


def test_sim_timeout_before_charge(gateway: SimulatorGateway) -> None:
    assert gateway.charge(req("sim_timeout_before_charge", "k1")).status is U
    assert gateway.lookup("k1") is None
    assert gateway.bank.debits("sim_timeout_before_charge") == 0
    replay = gateway.charge(req("sim_timeout_before_charge", "k1"))
    assert replay.status is S
    assert gateway.charge(req("sim_timeout_before_charge", "k1")) == replay
    assert gateway.lookup("k1") == replay
    assert gateway.bank.debits("sim_timeout_before_charge") == 1


def test_sim_gateway_error_once(gateway: SimulatorGateway) -> None:
    first = gateway.charge(req("sim_gateway_error_once", "k1"))
    assert (first.status, first.failure_code, first.raw_code, first.gateway_reference) == (
        F,
        FailureCode.gateway_error,
        "5005401",
        None,
    )
    assert gateway.lookup("k1") is None  # not recorded: the same key may be replayed
    assert gateway.charge(req("sim_gateway_error_once", "k1")).status is S
    assert gateway.bank.debits("sim_gateway_error_once") == 1


def test_unknown_token_is_an_invalid_account(gateway: SimulatorGateway) -> None:
    result = gateway.charge(req("tok_from_another_gateway", "k1"))
    assert (result.status, result.failure_code) == (F, FailureCode.invalid_account)
    with pytest.raises(UnknownPaymentMethod):
        gateway.attach_payment_method("sim_cus_1", "tok_from_another_gateway")


def test_customers_and_attach(gateway: SimulatorGateway) -> None:
    customer = gateway.create_customer("participant-42", "Siti Aminah")
    assert customer.startswith("sim_cus_") and customer == gateway.create_customer("participant-42", "Siti A.")
    assert customer != gateway.create_customer("participant-43", "Siti Aminah")
    assert gateway.attach_payment_method(customer, "sim_insufficient_funds") == "sim_insufficient_funds"


def test_every_method_is_documented() -> None:
    readme = (Path(testmethods.__file__).parents[1] / "README.md").read_text()
    for token in TEST_METHODS:
        assert f"\n{token} " in testmethods.__doc__, token
        assert f"| `{token}` " in readme, token
