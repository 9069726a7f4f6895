"""Kill workers at random moments: no contribution is ever charged twice (counted at the simulated
bank, not in our tables) and none is left unresolved. PostgreSQL, several worker processes."""

import os
import random
import signal
import subprocess
import sys
import time
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
from tests.debits.world import World, enrol, rows

DAY = date(2024, 6, 5)
MAX_KILLS = 6
METHODS = ["sim_ok"] * 6 + ["sim_insufficient_funds", "sim_timeout_then_ok", "sim_timeout_before_charge"]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cmd = [str(Path(sys.executable).parent / "billing"), "worker", "--poll", "0.2"]
    return subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


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
    log = tmp_path / "workers.log"
    rng = random.Random(7)
    workers = [_worker(env, log) for _ in range(3)]
    kills = 0
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'")[0][0] == 0:
                break
            time.sleep(rng.uniform(0.5, 1.5))
            if kills == MAX_KILLS:
                continue  # enough damage: let the survivors finish the run
            # Kill a worker in the middle of a batch: it holds a lease, and maybe charged already.
            owners = {o for (o,) in rows(engine, "SELECT lease_owner FROM debit_batch WHERE status = 'claimed'")}
            busy = [i for i, w in enumerate(workers) if any(o.endswith(f":{w.pid}") for o in owners)]
            if not busy:
                continue
            victim = rng.choice(busy)
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = _worker(env, log)
        else:
            raise AssertionError(f"the run did not finish; worker log:\n{log.read_text()[-3000:]}")
    finally:
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait()
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
