"""Several processes share one simulated bank through a SQLite file: every key debits at most once,
even when processes race on the same keys or are killed mid-run and restarted."""

import multiprocessing
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from billing.gateways.base import ChargeStatus
from billing.gateways.failures import FailureCode
from billing.gateways.simulator import Population, from_settings
from billing.gateways.simulator.sqlite_store import SqliteStore

from .conftest import CONTRIBUTION, Clock, req

DAY = date(2026, 1, 26)
SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter, as a restarted worker would be


def keys_and_methods(n: int) -> list[tuple[str, str]]:
    methods = ["sim_ok", "sim_timeout_then_ok", "sim_insufficient_funds", *Population.generate(seed=8, n=20).tokens]
    return [(f"k{i}", methods[i % len(methods)]) for i in range(n)]


def charge_all(state_path: str, work: list[tuple[str, str]], barrier: Any = None, results: Any = None) -> None:
    """A worker process: charges every key of ``work`` in order, and reports what it was told."""
    gateway = from_settings(state_path=state_path, clock=Clock(DAY))
    if barrier is not None:
        barrier.wait()
    answers = {}
    for key, method in work:
        answer = gateway.charge(req(method, key))
        answers[key] = (answer.status.value, answer.gateway_reference)
    if results is not None:
        results.put(answers)


def test_state_survives_the_gateway_object(tmp_path: Path) -> None:
    path = str(tmp_path / "bank.sqlite3")
    first = from_settings(state_path=path, clock=Clock(DAY))
    assert isinstance(first.bank.store, SqliteStore)
    ok = first.charge(req("sim_ok", "k1"))
    declined = first.charge(req("sim_account_closed", "k2"))
    first.bank.store.close()

    second = from_settings(state_path=path, clock=Clock(date(2026, 3, 1)))
    assert second.lookup("k1") == ok and second.lookup("k2") == declined
    assert declined.failure_code is FailureCode.account_closed
    assert second.charge(req("sim_ok", "k1")) == ok
    assert second.bank.debits("sim_ok") == 1 and second.bank.total_debited() == CONTRIBUTION
    records = second.bank.charges()
    assert [(r.idempotency_key, r.day, r.amount) for r in records] == [
        ("k1", DAY, CONTRIBUTION),
        ("k2", DAY, CONTRIBUTION),
    ]


def test_cycle_debits_are_shared(tmp_path: Path) -> None:
    # One process takes most of a pay cycle's money; the other sees what is left.
    path = str(tmp_path / "bank.sqlite3")
    accounts = Population.generate(seed=8, n=50).accounts
    account = next(
        a for a in accounts if not a.restricted and a.cycle_funds(DAY, a.payday.last_on_or_before(DAY)) > 10**5
    )
    funds = account.cycle_funds(DAY, account.payday.last_on_or_before(DAY))
    a, b = (from_settings(state_path=path, clock=Clock(DAY)) for _ in range(2))
    assert a.charge(req(account.token, "big", amount=funds - 1_000)).status is ChargeStatus.succeeded
    assert b.charge(req(account.token, "over", amount=1_001)).failure_code is FailureCode.insufficient_funds
    assert b.charge(req(account.token, "rest", amount=1_000)).status is ChargeStatus.succeeded


def test_two_processes_replaying_the_same_keys_debit_once(tmp_path: Path) -> None:
    path = str(tmp_path / "bank.sqlite3")
    work = keys_and_methods(400)
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    procs = [SPAWN.Process(target=charge_all, args=(path, order, barrier, results)) for order in (work, work[::-1])]
    for p in procs:
        p.start()
    answers = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    bank = from_settings(state_path=path, clock=Clock(DAY)).bank
    records = bank.charges()
    assert sorted(r.idempotency_key for r in records) == sorted(k for k, _ in work)
    succeeded = [r for r in records if r.moved_money]
    assert bank.total_debited() == len(succeeded) * CONTRIBUTION
    for method, n in Counter(r.payment_method for r in succeeded).items():
        assert bank.debits(method) == n
    assert bank.debits("sim_ok") == sum(1 for _, m in work if m == "sim_ok")
    assert bank.debits("sim_timeout_then_ok") == sum(1 for _, m in work if m == "sim_timeout_then_ok")
    assert bank.debits("sim_insufficient_funds") == 0
    # Both processes were told the same outcome for each key, but for the timeouts one of them saw.
    both = {key: (answers[0][key], answers[1][key]) for key, _ in work}
    for key, (x, y) in both.items():
        if "unknown" not in (x[0], y[0]):
            assert x == y, key


def test_killed_workers_restarted_debit_each_key_once(tmp_path: Path) -> None:
    path = str(tmp_path / "bank.sqlite3")
    work = [(f"k{i}", "sim_timeout_then_ok" if i % 10 == 0 else "sim_ok") for i in range(4000)]
    victim = SPAWN.Process(target=charge_all, args=(path, work))
    victim.start()
    store = SqliteStore(path)
    deadline = time.monotonic() + 60
    while len(store.charges()) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.kill()
    victim.join()
    done_before_kill = len(store.charges())
    assert 200 <= done_before_kill < len(work)

    restarted = [SPAWN.Process(target=charge_all, args=(path, order)) for order in (work, work[::-1])]
    for p in restarted:
        p.start()
    for p in restarted:
        p.join(timeout=180)
        assert p.exitcode == 0
    assert len(store.charges()) == len(work)
    assert store.debits("sim_ok") == 3600 and store.debits("sim_timeout_then_ok") == 400
    assert store.total_debited() == len(work) * CONTRIBUTION
