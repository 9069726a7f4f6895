"""Idempotency as Stripe keeps it, and unknown outcomes settled without a second debit."""

import threading
from datetime import date

import pytest

from billing.gateways.base import ChargeStatus, IdempotencyMismatch
from billing.gateways.failures import FailureCode
from billing.gateways.simulator import AccountSpec, Payday, PaydayKind, SimulatorGateway, from_settings

from .conftest import CONTRIBUTION, Clock, req

S, F, U = ChargeStatus.succeeded, ChargeStatus.failed, ChargeStatus.unknown


def test_replay_returns_the_first_success(gateway: SimulatorGateway) -> None:
    first = gateway.charge(req("sim_ok", "k1"))
    assert gateway.charge(req("sim_ok", "k1")) == first
    assert gateway.lookup("k1") == first
    assert gateway.bank.debits("sim_ok") == 1
    assert [c.idempotency_key for c in gateway.bank.charges()] == ["k1"]


def test_replay_returns_the_first_failure_even_after_payday(gateway: SimulatorGateway, clock: Clock) -> None:
    first = gateway.charge(req("sim_insufficient_until_payday_25", "jan-attempt-1"))
    assert first.failure_code is FailureCode.insufficient_funds
    clock.today = date(2026, 1, 26)  # the money has arrived, but a replay answers what happened first
    assert gateway.charge(req("sim_insufficient_until_payday_25", "jan-attempt-1")) == first
    assert gateway.charge(req("sim_insufficient_until_payday_25", "jan-attempt-2")).status is S
    assert gateway.bank.debits("sim_insufficient_until_payday_25") == 1


@pytest.mark.parametrize(
    "changed",
    [
        {"amount": CONTRIBUTION + 1},
        {"payment_method": "sim_insufficient_funds"},
        {"currency": "USD"},
    ],
)
@pytest.mark.parametrize("first_method", ["sim_ok", "sim_account_closed"])
def test_replay_with_other_parameters_refused(gateway: SimulatorGateway, first_method: str, changed: dict) -> None:
    first = gateway.charge(req(first_method, "k1"))
    params = {"payment_method": first_method, "key": "k1"} | changed
    with pytest.raises(IdempotencyMismatch, match="'k1' was first used for 16800 IDR"):
        gateway.charge(req(**params))
    assert gateway.bank.charges()[0].result == first and len(gateway.bank.charges()) == 1
    assert gateway.bank.total_debited() == (CONTRIBUTION if first.succeeded else 0)


def test_metadata_is_not_part_of_the_comparison(gateway: SimulatorGateway) -> None:
    first = gateway.charge(req("sim_ok", "k1", contribution="2026-01"))
    assert gateway.charge(req("sim_ok", "k1", contribution="2026-02", attempt="2")) == first


def test_timeout_after_charge_settled_by_lookup(gateway: SimulatorGateway) -> None:
    assert gateway.charge(req("sim_timeout_then_ok", "k1")).status is U
    settled = gateway.lookup("k1", {"participant": "42"})
    assert settled is not None and (settled.status, settled.gateway_reference) == (S, "sim_ch_k1")
    assert gateway.bank.debits("sim_timeout_then_ok") == 1
    assert gateway.bank.total_debited() == CONTRIBUTION


def test_timeout_after_charge_settled_by_replay(gateway: SimulatorGateway) -> None:
    assert gateway.charge(req("sim_timeout_then_ok", "k1")).status is U
    for _ in range(3):
        assert gateway.charge(req("sim_timeout_then_ok", "k1")).status is S
    assert gateway.bank.debits("sim_timeout_then_ok") == 1
    assert gateway.bank.total_debited() == CONTRIBUTION


def test_timeout_after_a_decline_settles_as_the_decline(clock: Clock) -> None:
    gateway = from_settings(clock=clock, timeout_after_rate=1.0)
    assert gateway.charge(req("sim_insufficient_funds", "k1")).status is U
    assert gateway.lookup("k1").failure_code is FailureCode.insufficient_funds  # type: ignore[union-attr]


def test_timeout_before_charge_then_replay_charges_once(gateway: SimulatorGateway) -> None:
    assert gateway.charge(req("sim_timeout_before_charge", "k1")).status is U
    assert gateway.lookup("k1") is None
    assert gateway.bank.total_debited() == 0
    assert gateway.charge(req("sim_timeout_before_charge", "k1")).status is S
    assert gateway.charge(req("sim_timeout_before_charge", "k1")).status is S
    assert gateway.bank.debits("sim_timeout_before_charge") == 1


def test_transient_rejections_are_not_recorded(clock: Clock) -> None:
    gateway = from_settings(clock=clock, rate_limited_rate=1.0)
    result = gateway.charge(req("sim_ok", "k1"))
    assert (result.status, result.failure_code, result.raw_code) == (F, FailureCode.rate_limited, "4295400")
    assert gateway.lookup("k1") is None and gateway.bank.charges() == []


def test_random_faults_never_debit_twice(clock: Clock) -> None:
    rates = {"gateway_error_rate": 0.2, "rate_limited_rate": 0.1, "timeout_before_rate": 0.2, "timeout_after_rate": 0.2}
    gateway = from_settings(clock=clock, seed=5, **rates)
    first_answers = {}
    for i in range(300):
        key = f"k{i}"
        answer = gateway.charge(req("sim_ok", key))
        first_answers[key] = answer.status
        for _ in range(30):  # what the debit engine does: settle or replay the same key
            if answer.status is S:
                break
            answer = gateway.lookup(key) or gateway.charge(req("sim_ok", key))
        assert answer.status is S, key
    assert gateway.bank.debits("sim_ok") == 300
    assert gateway.bank.total_debited() == 300 * CONTRIBUTION
    assert sorted(c.idempotency_key for c in gateway.bank.charges()) == sorted(first_answers)
    firsts = set(first_answers.values())
    assert firsts == {S, F, U}


def test_charge_many_keeps_the_order(gateway: SimulatorGateway) -> None:
    methods = ["sim_ok", "sim_account_closed", "sim_timeout_then_ok", "sim_insufficient_funds", "sim_ok"]
    results = gateway.charge_many([req(m, f"k{i}") for i, m in enumerate(methods)])
    assert [r.status for r in results] == [S, F, U, F, S]
    assert results[1].failure_code is FailureCode.account_closed


def test_a_slice_answers_and_debits_as_charges_one_by_one(clock: Clock) -> None:
    """A slice with each key twice (a replay in the same call), faults and scripted methods: the same
    answers, records and money at the bank as the same requests charged one at a time."""
    rates = {"gateway_error_rate": 0.1, "timeout_before_rate": 0.1, "timeout_after_rate": 0.1}
    methods = ["sim_ok", "sim_timeout_then_ok", "sim_timeout_before_charge", "sim_insufficient_funds"]
    reqs = [req(methods[i % 4], f"k{i % 40}") for i in range(80)]
    one_by_one, sliced = (from_settings(clock=clock, seed=9, **rates) for _ in range(2))
    singly = [one_by_one.charge(r) for r in reqs]
    # k1 (sim_timeout_then_ok): charged, answered unknown; its replay later in the slice, the success.
    assert (singly[1].status, singly[41].status) == (U, S)
    assert sliced.charge_many(reqs) == singly
    assert sliced.bank.charges() == one_by_one.bank.charges()
    assert sliced.bank.total_debited() == one_by_one.bank.total_debited() > 0


def test_threads_replaying_the_same_keys_debit_once(clock: Clock) -> None:
    gateway = from_settings(clock=clock)
    # 20,000 in savings: exactly one 16,800 debit fits per day, however the threads interleave.
    gateway.bank.open(AccountSpec("thin", Payday(PaydayKind.daily), savings=20_000))
    keys = [f"k{i}" for i in range(200)]
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        barrier.wait()
        for key in keys[n:] + keys[:n]:
            gateway.charge(req("sim_ok", key))
            gateway.charge(req("thin", f"thin-{key}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gateway.bank.debits("sim_ok") == 200
    assert gateway.bank.debits("thin") == 1
    assert gateway.bank.total_debited() == 201 * CONTRIBUTION
