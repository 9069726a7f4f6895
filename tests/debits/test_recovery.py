"""Payday-aware retries recover more failed debits than a blind 3-day interval, on the same simulated
populations and seeds (three months, June to August 2024). With debit days on or before the 15th (the
due date) the margin is smaller than with days up to the 28th and one population of 300 can go either
way (seeds 11, 12, 13: 80.6% against 76.7%, 77.8% against 76.9%, 86.2% against 72.5%; when accounts
were drawn one by one rather than spread over their profile's ranges, seed 11 gave 78.2% against
83.6%), so the claim is about the mean of three."""

import random
from datetime import date

import pytest
from sqlalchemy import Engine

from billing.db import make_engine
from billing.gateways.simulator import Population
from billing.settings import Settings
from tests.conftest import empty_database
from tests.debits.world import World, enrol, rows

START, END = date(2024, 6, 1), date(2024, 8, 31)


def _recovery(engine: Engine) -> float:
    """Of the contributions whose debit failed softly at least once, the share later collected."""
    [(failed, recovered)] = rows(
        engine,
        "SELECT COUNT(*), SUM(CASE WHEN c.status = 'paid' THEN 1 ELSE 0 END) FROM contribution c "
        "WHERE EXISTS (SELECT 1 FROM debit_attempt a WHERE a.contribution_id = c.id AND a.status = 'failed' "
        "AND a.failure_code IN ('insufficient_funds', 'limit_exceeded')) AND c.period <= '2024-07-01'",
    )
    assert failed > 30, "the population must produce failures to compare"
    return recovered / failed


def _simulate(url: str, strategy: str, tokens: list[str]) -> float:
    settings = Settings(database_url=url, retry_strategy=strategy, log_level="WARNING")
    engine = make_engine(url)
    # Workers pick their debit day, on or before the 15th when the month is due.
    days = random.Random(3)
    for token in tokens:
        enrol(engine, START, token, debit_day=days.randint(1, 15))
    World.create(engine, settings, START).days(START, END)
    rate = _recovery(engine)
    engine.dispose()
    empty_database(url)
    return rate


@pytest.mark.slow
def test_payday_aware_retries_recover_more(sqlite_url: str) -> None:
    # The simulator's default mix: wages around the 25th, civil servants on the 1st, weekly traders,
    # daily drivers, struggling workers and savers.
    seeds = (11, 12, 13)
    payday, fixed = [], []
    for seed in seeds:
        tokens = Population.generate(seed=seed, n=300, start=START).tokens
        payday.append(_simulate(sqlite_url, "payday", tokens))
        fixed.append(_simulate(sqlite_url, "fixed", tokens))
    print(
        f"\nrecovery of soft-failed debits, seeds {seeds}, 300 accounts each: "
        f"payday-aware {[f'{r:.1%}' for r in payday]}, fixed 3-day {[f'{r:.1%}' for r in fixed]}"
    )
    assert sum(payday) / len(payday) > sum(fixed) / len(fixed)
