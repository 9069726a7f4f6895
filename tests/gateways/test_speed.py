"""A micro-measurement of the in-memory bank's hot path, printed, not asserted on (machines differ):
charges in slices of the debit workers' length, as they send them. CPU time of this process, best
round: other processes sharing the machine distort wall time."""

import time
from datetime import date, timedelta

import pytest

from billing.debits.execution import SEND_SLICE
from billing.gateways.base import ChargeRequest
from billing.gateways.simulator import Population, from_settings

from .conftest import CONTRIBUTION, Clock

ROUNDS, PER_ROUND = 5, 40_000


def test_charges_per_second_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock(date(2026, 1, 20))
    gateway = from_settings(clock=clock)
    tokens = Population.generate(seed=1, n=10_000).tokens
    charge_many = gateway.charge_many
    best_new = best_replay = float("inf")
    for r in range(ROUNDS):
        clock.today += timedelta(days=3)  # a debit run per simulated day, as the engine does
        reqs = [
            ChargeRequest(amount=CONTRIBUTION, payment_method=tokens[i % len(tokens)], idempotency_key=f"r{r}-{i}")
            for i in range(PER_ROUND)
        ]
        slices = [reqs[i : i + SEND_SLICE] for i in range(0, PER_ROUND, SEND_SLICE)]
        start = time.process_time()
        for chunk in slices:
            charge_many(chunk)
        best_new = min(best_new, time.process_time() - start)
        start = time.process_time()
        for chunk in slices:
            charge_many(chunk)
        best_replay = min(best_replay, time.process_time() - start)

    records = gateway.bank.charges()
    assert len(records) == ROUNDS * PER_ROUND
    assert gateway.bank.total_debited() == CONTRIBUTION * sum(r.moved_money for r in records)
    with capsys.disabled():
        print(
            f"\nsimulator, memory store: {PER_ROUND / best_new:,.0f} new charges/s "
            f"({best_new / PER_ROUND * 1e6:.2f} µs each), {PER_ROUND / best_replay:,.0f} replays/s "
            f"({best_replay / PER_ROUND * 1e6:.2f} µs each); best of {ROUNDS} rounds of {PER_ROUND:,} keys "
            f"over {len(tokens):,} generated accounts"
        )
