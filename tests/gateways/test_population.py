"""Same seed, same accounts, same outcomes."""

from collections import Counter
from datetime import date, timedelta

import pytest

from billing.gateways.base import ChargeStatus
from billing.gateways.failures import FailureCode
from billing.gateways.simulator import Population, from_settings
from billing.gateways.simulator.population import HORIZON_DAYS, PROFILES, STRATUM_MAX, parse_population_token

from .conftest import Clock, req


def test_profile_counts_follow_the_mix() -> None:
    pop = Population.generate(seed=7, n=1000)
    counts = Counter(a.token.split("-")[3] for a in pop.accounts)
    assert counts == {
        "wage_25": 300,
        "civil_servant_1": 100,
        "weekly_trader": 200,
        "daily_driver": 250,
        "struggling": 100,
        "saver": 50,
    }
    assert len(set(pop.tokens)) == 1000


def test_odd_sizes_add_up() -> None:
    # 7 * 1/3 each: the one left over goes to the first name in alphabetical order.
    pop = Population.generate(seed=1, n=7, mix={"wage_25": 1, "daily_driver": 1, "saver": 1})
    assert Counter(a.token.split("-")[3] for a in pop.accounts) == {"daily_driver": 3, "saver": 2, "wage_25": 2}


def test_same_seed_same_accounts() -> None:
    assert Population.generate(seed=3, n=200) == Population.generate(seed=3, n=200)
    other = Population.generate(seed=4, n=200)
    assert [a.income for a in other.accounts] != [a.income for a in Population.generate(seed=3, n=200).accounts]


def test_tokens_rebuild_their_accounts() -> None:
    pop = Population.generate(seed=5, n=300, start=date(2026, 4, 1))
    assert pop.tokens[0].startswith("pop-5-20260401-")
    assert all(parse_population_token(a.token) == a for a in pop.accounts)
    assert parse_population_token("pop-5-20260401-no_such_profile-1") is None
    assert parse_population_token("pop-5-2026-wage_25-1") is None
    assert parse_population_token("sim_ok") is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_profiles_accounts_are_spread_over_its_ranges_on_any_seed(seed: int) -> None:
    # 200 struggling accounts: closed 4%, dormant 8%, revoked 5%, invalid 2%, e-wallets 40% exactly,
    # not a binomial draw around them.
    start = date(2026, 1, 1)
    accounts = Population.generate(seed=seed, n=200, mix={"struggling": 1}, start=start).accounts
    closed = sorted((a.closed_on - start).days for a in accounts if a.closed_on is not None)
    assert len(closed) == 8
    assert sum(a.dormant_on is not None for a in accounts) == 16
    assert sum(a.mandate_revoked_on is not None for a in accounts) == 10
    assert sum(a.invalid for a in accounts) == 4
    assert sum(a.channel == "ewallet" for a in accounts) == 80
    # The closures fall one in each eighth of the year, the incomes one in each 200th of their range.
    assert [day * 8 // HORIZON_DAYS for day in closed] == list(range(8))
    low, high = PROFILES["struggling"].income
    steps = (high - low) // 1000 + 1  # whole thousands
    thousands = sorted((a.income - low) // 1000 for a in accounts)
    assert all(j * steps // 200 <= t < (j + 1) * steps / 200 for j, t in enumerate(thousands))


def test_stratified_tokens_rebuild_their_accounts() -> None:
    token = "pop-5-20260401-wage_25-0-3of7"
    account = parse_population_token(token)
    assert account is not None and account.token == token
    assert parse_population_token("pop-5-20260401-wage_25-0-7of7") is None
    assert parse_population_token(f"pop-5-20260401-wage_25-0-0of{STRATUM_MAX + 1}") is None


def test_generated_accounts_look_like_their_profile() -> None:
    for a in Population.generate(seed=9, n=500).accounts:
        profile = PROFILES[a.token.split("-")[3]]
        assert a.payday.kind is profile.payday_kind and a.payday.day in profile.payday_days
        assert profile.income[0] <= a.income <= profile.income[1] and a.income % 1000 == 0
        assert (a.per_charge_limit is not None) == (a.channel == "ewallet")


def test_bad_mix_refused() -> None:
    with pytest.raises(ValueError, match="unknown profiles: gig"):
        Population.generate(seed=1, n=10, mix={"gig": 1})
    with pytest.raises(ValueError):
        Population.generate(seed=1, n=10, mix={"saver": 0})


def run_two_months(seed: int, **options: float) -> list[tuple[str, ChargeStatus, FailureCode | None]]:
    clock = Clock(date(2026, 1, 1))
    gateway = from_settings(clock=clock, seed=seed, **options)
    tokens = Population.generate(seed=seed, n=150).tokens
    out = []
    for i in range(59):
        clock.today = date(2026, 1, 1) + timedelta(days=i)
        for token in tokens:
            key = f"{token}:{clock.today}"
            result = gateway.charge(req(token, key))
            out.append((key, result.status, result.failure_code))
    return out


def test_same_seed_same_outcomes() -> None:
    first = run_two_months(seed=11)
    assert first == run_two_months(seed=11)
    assert first != run_two_months(seed=12)
    outcomes = Counter(code for _, _, code in first)
    assert outcomes[None] > 0 and outcomes[FailureCode.insufficient_funds] > 0


def test_same_seed_same_faults() -> None:
    options = {"gateway_error_rate": 0.05, "timeout_before_rate": 0.05, "timeout_after_rate": 0.05}
    first = run_two_months(seed=11, **options)
    assert first == run_two_months(seed=11, **options)
    assert Counter(status for _, status, _ in first)[ChargeStatus.unknown] > 0


def test_balances_are_higher_after_payday() -> None:
    # Wage earners paid on the 25th-31st: more debits succeed on the 1st-4th than on the 18th-21st.
    clock = Clock(date(2026, 1, 1))
    gateway = from_settings(clock=clock)
    tokens = Population.generate(seed=2, n=400, mix={"wage_25": 1}).tokens

    def successes(days: range, month: int) -> int:
        won = 0
        for d in days:
            clock.today = date(2026, month, d)
            won += sum(gateway.charge(req(t, f"{t}:{clock.today}")).succeeded for t in tokens)
        return won

    before, after = successes(range(18, 22), 1), successes(range(1, 5), 2)
    assert after > 1.5 * before
