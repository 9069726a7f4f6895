"""Balances follow paydays: low before, high after. Hand-computed with
available = savings + max(0, income - daily_spend * (days since payday + 1) - bill due) - debited in the cycle."""

from datetime import date, timedelta

import pytest

from billing.gateways.base import ChargeStatus
from billing.gateways.failures import FailureCode
from billing.gateways.simulator import AccountSpec, Channel, Payday, PaydayKind, SimulatorGateway

from .conftest import CONTRIBUTION, Clock, req

S, F = ChargeStatus.succeeded, ChargeStatus.failed


def charge_on(gateway: SimulatorGateway, clock: Clock, token: str, day: date, amount: int = CONTRIBUTION):
    clock.today = day
    return gateway.charge(req(token, f"{token}@{day}:{amount}", amount=amount))


def test_payday_on_the_25th(gateway: SimulatorGateway, clock: Clock) -> None:
    # Jan 20: cycle opened Dec 25, 27 days of 120,000 = 3,240,000 > 3,000,000: nothing left.
    # Jan 26: cycle opened Jan 25, 2 days spent: 2,760,000 left.
    gateway.bank.open(AccountSpec("wage", Payday(PaydayKind.monthly, 25), income=3_000_000, daily_spend=120_000))
    failed = charge_on(gateway, clock, "wage", date(2026, 1, 20))
    assert (failed.status, failed.failure_code) == (F, FailureCode.insufficient_funds)
    assert charge_on(gateway, clock, "wage", date(2026, 1, 26)).status is S
    assert charge_on(gateway, clock, "wage", date(2026, 1, 26), amount=2_760_000 - CONTRIBUTION).status is S
    assert charge_on(gateway, clock, "wage", date(2026, 1, 26), amount=1).status is F
    assert gateway.bank.debits("wage") == 2


def test_payday_on_the_1st(gateway: SimulatorGateway, clock: Clock) -> None:
    # Jan 31: 31 days of 100,000 = 3,100,000 > 3,000,000. Feb 1: 2,900,000. Feb 28: 3,000,000 - 2,800,000.
    gateway.bank.open(AccountSpec("pns", Payday(PaydayKind.monthly, 1), income=3_000_000, daily_spend=100_000))
    assert charge_on(gateway, clock, "pns", date(2026, 1, 31)).status is F
    assert charge_on(gateway, clock, "pns", date(2026, 2, 1)).status is S
    assert charge_on(gateway, clock, "pns", date(2026, 2, 28), amount=200_000 - CONTRIBUTION).status is S
    assert charge_on(gateway, clock, "pns", date(2026, 2, 28), amount=200_000).status is F


def test_debits_drain_the_cycle_and_savings_come_back(gateway: SimulatorGateway, clock: Clock) -> None:
    gateway.bank.open(AccountSpec("saver", savings=20_000))  # daily payday, no income
    day = date(2026, 3, 10)
    assert charge_on(gateway, clock, "saver", day).status is S
    assert charge_on(gateway, clock, "saver", day, amount=3_201).status is F  # 3,200 left
    assert charge_on(gateway, clock, "saver", day, amount=3_200).status is S
    assert charge_on(gateway, clock, "saver", day + timedelta(days=1)).status is S
    assert gateway.bank.total_debited() == 2 * CONTRIBUTION + 3_200


def test_weekly_payday(gateway: SimulatorGateway, clock: Clock) -> None:
    # Paid on Fridays (weekday 4): 2026-01-16 and 01-23. On Thursday 7 * 60,000 = 420,000 > 400,000 is spent.
    gateway.bank.open(AccountSpec("trader", Payday(PaydayKind.weekly, 4), income=400_000, daily_spend=60_000))
    assert charge_on(gateway, clock, "trader", date(2026, 1, 22)).status is F
    assert charge_on(gateway, clock, "trader", date(2026, 1, 23), amount=340_000).status is S


@pytest.mark.parametrize(
    ("payday", "day", "expected"),
    [
        (Payday(PaydayKind.monthly, 25), date(2026, 1, 24), date(2025, 12, 25)),
        (Payday(PaydayKind.monthly, 25), date(2026, 1, 25), date(2026, 1, 25)),
        (Payday(PaydayKind.monthly, 31), date(2026, 3, 15), date(2026, 2, 28)),
        (Payday(PaydayKind.monthly, 31), date(2028, 3, 15), date(2028, 2, 29)),
        (Payday(PaydayKind.monthly, 31), date(2026, 4, 30), date(2026, 4, 30)),
        (Payday(PaydayKind.monthly, 1), date(2026, 1, 1), date(2026, 1, 1)),
        (Payday(PaydayKind.weekly, 4), date(2026, 1, 20), date(2026, 1, 16)),
        (Payday(PaydayKind.weekly, 1), date(2026, 1, 20), date(2026, 1, 20)),
        (Payday(PaydayKind.weekly, 2), date(2026, 1, 20), date(2026, 1, 14)),
        (Payday(PaydayKind.daily), date(2026, 1, 20), date(2026, 1, 20)),
    ],
)
def test_last_payday(payday: Payday, day: date, expected: date) -> None:
    assert payday.last_on_or_before(day) == expected


def test_dated_account_events(gateway: SimulatorGateway, clock: Clock) -> None:
    gateway.bank.open(
        AccountSpec("a", savings=10**9, dormant_on=date(2026, 3, 1), closed_on=date(2026, 5, 1)),
        AccountSpec("b", savings=10**9, mandate_revoked_on=date(2026, 2, 10)),
    )
    assert charge_on(gateway, clock, "a", date(2026, 2, 28)).status is S
    dormant = charge_on(gateway, clock, "a", date(2026, 3, 1))
    assert (dormant.failure_code, dormant.raw_code) == (FailureCode.account_blocked, "4035409")
    assert charge_on(gateway, clock, "a", date(2026, 5, 1)).failure_code is FailureCode.account_closed
    assert charge_on(gateway, clock, "b", date(2026, 2, 9)).status is S
    assert charge_on(gateway, clock, "b", date(2026, 2, 10)).failure_code is FailureCode.mandate_revoked


def test_ewallet_limit(gateway: SimulatorGateway, clock: Clock) -> None:
    gateway.bank.open(AccountSpec("ovo", savings=10**9, channel=Channel.ewallet, per_charge_limit=100_000))
    assert charge_on(gateway, clock, "ovo", date(2026, 1, 5), amount=100_000).status is S
    assert charge_on(gateway, clock, "ovo", date(2026, 1, 5), amount=100_001).failure_code is FailureCode.limit_exceeded


def test_other_currency_not_permitted(gateway: SimulatorGateway) -> None:
    result = gateway.charge(req("sim_ok", "usd", currency="USD"))
    assert (result.status, result.failure_code, result.raw_code) == (F, FailureCode.generic_decline, "4035415")


def test_income_jitter_is_deterministic_and_bounded() -> None:
    spec = AccountSpec("driver", income=100_000, income_jitter_pct=40)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(90)]
    incomes = [spec.income_on(d) for d in days]
    assert incomes == [AccountSpec("driver", income=100_000, income_jitter_pct=40).income_on(d) for d in days]
    assert all(60_000 <= x <= 140_000 for x in incomes)
    assert len(set(incomes)) > 30


@pytest.mark.parametrize("amount", [0, -1, 16_800.0, True])
def test_amount_must_be_positive_whole_rupiah(amount: object) -> None:
    with pytest.raises(ValueError, match="whole number of rupiah"):
        req("sim_ok", "k", amount=amount)  # type: ignore[arg-type]
