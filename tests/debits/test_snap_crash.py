"""Kill ``billing worker`` processes running on BILLING_GATEWAY=snap at random moments, against the
simulator's SNAP face over HTTP: no contribution is ever charged twice (counted at the simulated bank,
not in our tables), none is left unresolved, and ``ledger verify`` against the bank's records is
clean. PostgreSQL, several worker processes."""

import os
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from billing.db import make_engine
from billing.debits.service import settle_unknown, start_debit_run
from billing.gateways.simulator.snap_face import SnapFaceServer, build
from billing.gateways.snap.client import SnapGateway
from billing.ledger.verify import verify
from billing.settings import Settings
from billing.timeutil import utcnow
from schedulers import jobs
from tests.debits.killing import kill_until_done
from tests.debits.world import enrol, rows
from tests.gateways.snap.conftest import Keys, make_keys, settings_for

DAY = date(2024, 6, 5)
PEOPLE = 90
MAX_KILLS = 4
METHODS = ["sim_ok"] * 6 + ["sim_insufficient_funds", "sim_timeout_then_ok", "sim_timeout_before_charge"]


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


@pytest.mark.slow
def test_sigkill_snap_workers_never_double_charge(pg_url: str, tmp_path: Path, keys: Keys) -> None:
    settings = Settings(database_url=pg_url, debit_batch_size=6, lease_seconds=2, log_level="WARNING")
    engine = make_engine(pg_url)
    for i in range(PEOPLE):
        enrol(engine, date(2024, 6, 1), METHODS[i % len(METHODS)], gateway="snap")
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    start_debit_run(engine, settings, DAY)
    assert rows(engine, "SELECT COUNT(*) FROM debit_attempt")[0][0] == PEOPLE

    cfg = build(
        client_public_key_path=keys.partner_public,
        private_key_path=keys.bank,
        clock=lambda: DAY,
        latency_ms=60,
        stall_s=1.0,
    )
    with SnapFaceServer(cfg) as face:
        env = {
            **os.environ,
            "BILLING_DATABASE_URL": pg_url,
            "BILLING_SECRET_KEY": "snap-crash-test-secret",
            "BILLING_GATEWAY": "snap",
            "BILLING_SNAP_BASE_URL": face.url,
            "BILLING_SNAP_PRIVATE_KEY_PATH": str(keys.partner),
            "BILLING_SNAP_READ_TIMEOUT_S": "0.5",
            "BILLING_SNAP_MAX_RETRIES": "1",
            "BILLING_SNAP_BACKOFF_BASE_S": "0.05",
            "BILLING_LEASE_SECONDS": "2",
            "BILLING_LOG_LEVEL": "WARNING",
        }
        rng = random.Random(11)
        kills = kill_until_done(engine, env, tmp_path / "workers.log", rng, MAX_KILLS, pause=(0.3, 1.0))
        assert kills >= 2, kills

        gateway = SnapGateway(settings_for(face.url, keys))
        try:
            # What is still unknown is settled as the scheduler would, an hour later.
            settle_unknown(engine, settings, gateway, DAY, now=utcnow() + timedelta(hours=1))
            statuses = dict(rows(engine, "SELECT status, COUNT(*) FROM debit_attempt GROUP BY status"))
            assert set(statuses) <= {"succeeded", "failed"}, statuses
            assert statuses["failed"] == PEOPLE // len(METHODS)  # the sim_insufficient_funds accounts
            bank = face.snap_face.bank
            moved = [c for c in bank.charges() if c.moved_money]
            per_contribution: dict[str, int] = {}
            for c in moved:
                contribution = c.idempotency_key.split("-")[0]
                per_contribution[contribution] = per_contribution.get(contribution, 0) + 1
            assert max(per_contribution.values()) == 1
            assert len(moved) == statuses["succeeded"] == PEOPLE - PEOPLE // len(METHODS)
            with engine.connect() as conn:
                result = verify(conn, gateway)
            assert result.ok, result.problems
            assert result.gateway_checked == "snap"
            assert result.balances["gateway_clearing"] == bank.total_debited()
        finally:
            gateway.close()
    engine.dispose()
