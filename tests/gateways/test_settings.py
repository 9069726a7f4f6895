from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from billing.gateways.simulator import from_settings
from billing.gateways.simulator.sqlite_store import SqliteStore
from billing.gateways.simulator.store import MemoryStore
from billing.timeutil import today_local

from .conftest import Clock


def test_defaults() -> None:
    gateway = from_settings()
    bank = gateway.bank
    assert (bank.seed, bank.faults.active, isinstance(bank.store, MemoryStore)) == (0, False, True)
    assert bank.clock() == today_local("Asia/Jakarta")


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BILLING_SIMULATOR_SEED", "42")
    monkeypatch.setenv("BILLING_SIMULATOR_STATE", str(tmp_path / "shared" / "bank.sqlite3"))
    monkeypatch.setenv("BILLING_SIMULATOR_TIMEOUT_AFTER_RATE", "0.25")
    bank = from_settings(clock=Clock(date(2026, 1, 1))).bank
    assert bank.seed == 42 and bank.faults.timeout_after == 0.25
    assert isinstance(bank.store, SqliteStore) and bank.store.path == tmp_path / "shared" / "bank.sqlite3"
    # Options passed in win over the environment, including "no state file".
    bank = from_settings(seed=3, state_path=None).bank
    assert bank.seed == 3 and isinstance(bank.store, MemoryStore)


@pytest.mark.parametrize(
    "options",
    [
        {"seed": -1},
        {"latency_ms": -5},
        {"gateway_error_rate": 1.5},
        {"gateway_error_rate": 0.6, "timeout_before_rate": 0.6},
        {"no_such_option": 1},
    ],
)
def test_bad_options_refused(options: dict) -> None:
    with pytest.raises(ValidationError):
        from_settings(**options)


def test_latency(clock: Clock) -> None:
    from time import perf_counter

    from .conftest import req

    gateway = from_settings(clock=clock, latency_ms=30)
    start = perf_counter()
    gateway.charge(req("sim_ok", "k1"))
    assert perf_counter() - start >= 0.03
