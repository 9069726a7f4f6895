"""Kill workers at random moments: no contribution is ever charged twice (counted at the simulated
bank, not in our tables) and none is left unresolved. PostgreSQL, several worker processes."""

import os
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from billing.db import make_engine
from billing.debits.service import settle_unknown, start_debit_run
from billing.ledger.verify import verify
from billing.settings import Settings
from billing.timeutil import utcnow
from schedulers import jobs
from tests.debits.killing import kill_until_done
from tests.debits.world import World, enrol, rows

DAY = date(2024, 6, 5)
MAX_KILLS = 6
METHODS = ["sim_ok"] * 6 + ["sim_insufficient_funds", "sim_timeout_then_ok", "sim_timeout_before_charge"]


@pytest.mark.slow
def test_sigkill_workers_never_double_charge(pg_url: str, tmp_path: Path) -> None:
    state = str(tmp_path / "bank.sqlite3")
    settings = Settings(database_url=pg_url, debit_batch_size=8, lease_seconds=2, log_level="WARNING")
    engine = make_engine(pg_url)
    for i in range(270):
        enrol(engine, date(2024, 6, 1), METHODS[i % len(METHODS)])
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    start_debit_run(engine, settings, DAY)
    planned = rows(engine, "SELECT COUNT(*) FROM debit_attempt")[0][0]
    assert planned == 270

    env = {
        **os.environ,
        "BILLING_DATABASE_URL": pg_url,
        "BILLING_SECRET_KEY": "crash-test-secret",
        "BILLING_GATEWAY": "simulator",
        "BILLING_SIMULATOR_STATE": state,
        "BILLING_SIMULATOR_LATENCY_MS": "60",
        "BILLING_LEASE_SECONDS": "2",
        "BILLING_LOG_LEVEL": "WARNING",
    }
    kills = kill_until_done(engine, env, tmp_path / "workers.log", random.Random(7), MAX_KILLS)
    assert kills >= 3
    # Some batches were taken over from a killed worker after its lease expired.
    assert rows(engine, "SELECT MAX(claims) FROM debit_batch")[0][0] >= 2

    # Timeouts left unknown outcomes: settle them as the scheduler would, minutes later.
    world = World.create(engine, settings, DAY, state_path=state)
    settle_unknown(engine, settings, world.gateway, DAY, now=utcnow() + timedelta(hours=1))

    statuses = dict(rows(engine, "SELECT status, COUNT(*) FROM debit_attempt GROUP BY status"))
    assert set(statuses) <= {"succeeded", "failed"}, statuses
    assert statuses["failed"] == 30  # the sim_insufficient_funds accounts
    bank = world.gateway.bank  # type: ignore[attr-defined]
    moved = [c for c in bank.charges() if c.moved_money]
    per_contribution: dict[str, int] = {}
    for c in moved:
        contribution = c.idempotency_key.split("-")[0]
        per_contribution[contribution] = per_contribution.get(contribution, 0) + 1
    assert max(per_contribution.values()) == 1
    assert len(moved) == statuses["succeeded"] == 240
    with engine.connect() as conn:
        result = verify(conn, world.gateway)
        assert result.ok, result.problems
        assert result.gateway_checked == "simulator"
        assert result.balances["gateway_clearing"] == bank.total_debited() == 240 * 16_800
        assert conn.execute(text("SELECT COUNT(*) FROM debit_unsettled")).scalar_one() == 0
    engine.dispose()
