"""``billing worker`` as an operator runs it: it outlives the database dropping its connections, a
SIGTERM finishes the batch in hand and stops, a batch slower than the lease is not taken over (the
lease is renewed), and a worker that lost its lease stops sending. Counted at the simulated bank."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from structlog.testing import capture_logs

from billing.db import make_engine
from billing.debits import execution, worker
from billing.debits.service import start_debit_run
from billing.gateways.base import ChargeResult, ChargeStatus
from billing.ledger.verify import verify
from billing.settings import Settings
from schedulers import jobs
from tests.conftest import IN_CI
from tests.debits.world import World, enrol, rows

DAY = date(2024, 6, 5)
APP_NAME = "billing-worker-under-test"


def _plan(pg_url: str, people: int, batch_size: int) -> Settings:
    settings = Settings(database_url=pg_url, debit_batch_size=batch_size, log_level="WARNING")
    engine = make_engine(pg_url)
    for _ in range(people):
        enrol(engine, date(2024, 6, 1), "sim_ok")
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    start_debit_run(engine, settings, DAY)
    engine.dispose()
    return settings


def _worker(pg_url: str, state: str, log: Path, latency_ms: int, lease_s: int = 120) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BILLING_DATABASE_URL": pg_url,
        "BILLING_SECRET_KEY": "worker-test-secret",
        "BILLING_GATEWAY": "simulator",
        "BILLING_SIMULATOR_STATE": state,
        "BILLING_SIMULATOR_LATENCY_MS": str(latency_ms),
        "BILLING_LEASE_SECONDS": str(lease_s),
        "BILLING_LOG_JSON": "false",
        "PGAPPNAME": APP_NAME,  # libpq's: lets the test drop this worker's connections only
    }
    cmd = [str(Path(sys.executable).parent / "billing"), "worker", "--poll", "0.2"]
    return subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait(condition, seconds: float, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out; worker log:\n{log.read_text()[-3000:]}")


def _charged_once(pg_url: str, settings: Settings, state: str, expected: int) -> None:
    engine = make_engine(pg_url)
    world = World.create(engine, settings, DAY, state_path=state)
    moved = [c.idempotency_key for c in world.gateway.bank.charges() if c.moved_money]  # type: ignore[attr-defined]
    assert len(moved) == len(set(moved)) == expected
    assert rows(engine, "SELECT COUNT(*) FROM debit_attempt WHERE status = 'succeeded'") == [(expected,)]
    with engine.connect() as conn:
        result = verify(conn, world.gateway)
    assert result.ok, result.problems
    engine.dispose()


@pytest.mark.slow
def test_sigterm_finishes_the_batch_in_hand_and_stops(pg_url: str, tmp_path: Path) -> None:
    settings = _plan(pg_url, 120, batch_size=8)  # 15 batches
    state, log = str(tmp_path / "bank.sqlite3"), tmp_path / "worker.log"
    engine = make_engine(pg_url)
    worker = _worker(pg_url, state, log, latency_ms=40)
    try:
        _wait(lambda: rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status = 'claimed'")[0][0] == 1, 30, log)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        worker.kill()
    by_status = dict(rows(engine, "SELECT status, COUNT(*) FROM debit_batch GROUP BY status"))
    # The batch in hand was finished, not abandoned; most queued batches were left for others.
    assert by_status.get("claimed", 0) == 0
    assert 1 <= by_status["done"] <= 3, by_status
    assert "worker_stopped" in log.read_text()
    again = _worker(pg_url, state, log, latency_ms=0)
    try:
        _wait(lambda: rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'")[0][0] == 0, 60, log)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=15)
    engine.dispose()
    _charged_once(pg_url, settings, state, 120)


@pytest.mark.slow
def test_the_worker_outlives_the_database_dropping_its_connections(pg_url: str, tmp_path: Path) -> None:
    settings = _plan(pg_url, 160, batch_size=8)
    state, log = str(tmp_path / "bank.sqlite3"), tmp_path / "worker.log"
    engine = make_engine(pg_url)
    worker = _worker(pg_url, state, log, latency_ms=20)
    drop = text("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :a")
    dropped = 0
    try:
        deadline = time.monotonic() + 90
        while (
            rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'")[0][0]
            and time.monotonic() < deadline
        ):
            time.sleep(0.4)
            if dropped < 8:
                with engine.connect() as conn:
                    dropped += int(conn.execute(drop, {"a": APP_NAME}).scalar_one())
        assert worker.poll() is None, log.read_text()[-3000:]  # still running
        assert rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'") == [(0,)], log.read_text()[
            -3000:
        ]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    assert dropped >= 4
    engine.dispose()
    _charged_once(pg_url, settings, state, 160)


def test_a_database_error_is_logged_and_the_worker_goes_on_after_a_backoff(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    calls: list[float] = []

    def flaky(*_args: object, **_kwargs: object) -> int:
        calls.append(time.monotonic())
        if len(calls) <= 2:  # the database is away for two tries
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        stop.set()
        return 5

    monkeypatch.setattr(worker, "work", flaky)
    monkeypatch.setattr(worker, "FIRST_BACKOFF", 0.05)
    gateway = type("G", (), {"name": "stub"})()
    with capture_logs() as logs:
        done = worker.run(None, Settings(database_url="sqlite://"), gateway, None, lambda: DAY, stop, poll=0.01)  # type: ignore[arg-type]
    assert done == 5 and len(calls) == 3
    assert [e["retry_in_s"] for e in logs if e["event"] == "database_unavailable"] == [0.05, 0.1]
    assert [e["event"] for e in logs][-2:] == ["database_back", "worker_stopped"]
    assert calls[2] - calls[0] >= 0.15  # it waited between tries


@pytest.mark.slow
def test_a_batch_slower_than_its_lease_is_not_taken_over(pg_url: str, tmp_path: Path) -> None:
    settings = _plan(pg_url, 24, batch_size=8)
    state, log = str(tmp_path / "bank.sqlite3"), tmp_path / "worker.log"
    engine = make_engine(pg_url)
    # Each batch takes about 8 × 0.4 s = 3.2 s against a lease of 1 s: only renewals keep it.
    workers = [_worker(pg_url, state, log, latency_ms=400, lease_s=1) for _ in range(2)]
    try:
        _wait(lambda: rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'")[0][0] == 0, 60, log)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
            w.wait(timeout=15)
    assert rows(engine, "SELECT MAX(claims) FROM debit_batch") == [(1,)]
    engine.dispose()
    _charged_once(pg_url, settings, state, 24)


def test_a_worker_that_lost_its_lease_stops_sending(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(execution, "SEND_SLICE", 2)
    lease = execution.Lease.__new__(execution.Lease)
    lease.lost = execution.threading.Event()
    sent: list[str] = []

    class Gateway:
        name = "stub"

        def charge_many(self, reqs):  # type: ignore[no-untyped-def]
            sent.extend(r.idempotency_key for r in reqs)
            lease.lost.set()  # another worker took the batch while these were at the gateway
            return [ChargeResult(ChargeStatus.succeeded, gateway_reference=r.idempotency_key) for r in reqs]

    attempts = [execution.AttemptRow(i, i, i, 1, 1, 16_800, f"ct{i}-1", "sim_ok") for i in range(1, 7)]
    done, results = execution._send(Gateway(), attempts, lease)  # type: ignore[arg-type]
    assert sent == ["ct1-1", "ct2-1"]
    assert [a.id for a in done] == [1, 2] and len(results) == 2


def test_lease_renewal_fails_once_another_worker_holds_the_batch(pg_url: str) -> None:
    _plan(pg_url, 2, batch_size=8)
    engine = make_engine(pg_url)
    batch = execution.claim(engine, "me", timedelta(seconds=60))
    assert batch is not None
    lease = execution.Lease(engine, batch, "me", timedelta(seconds=60))
    assert lease.renew()
    with engine.begin() as conn:
        conn.execute(text("UPDATE debit_batch SET lease_owner = 'someone-else' WHERE id = :b"), {"b": batch.id})
    assert not lease.renew()
    engine.dispose()


DOWN_SECONDS = 3.0


def _restart_postgresql(url: str) -> None:
    """Stop, and after a pause start, the local Debian cluster serving ``url`` (as CI and developers run it)."""
    port = make_url(url).port or 5432
    clusters = []
    if shutil.which("pg_lsclusters") is not None:
        listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout
        clusters = [line.split()[:2] for line in listed.splitlines() if line.split()[2:3] == [str(port)]]
    if os.geteuid() != 0 or not clusters:
        reason = f"restarting PostgreSQL needs root and a local Debian cluster on port {port} (pg_ctlcluster)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    version, name = clusters[0]
    for action in ("stop", "start"):
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action]
        subprocess.run(cmd, check=True, timeout=120, capture_output=True)
        if action == "stop":
            # Down longer than a batch takes at the bank (0.8 s), so every worker meets the outage;
            # a bare restart can fall between two of a worker's queries and prove nothing.
            time.sleep(DOWN_SECONDS)


def _count(engine, sql: str) -> int | None:  # type: ignore[no-untyped-def]
    try:
        return int(rows(engine, sql)[0][0])
    except DBAPIError:  # the server is restarting
        return None


# Exclusive: the restart breaks the connections of every test running beside it.
@pytest.mark.exclusive
def test_workers_survive_a_postgresql_restart_mid_run(pg_url: str, tmp_path: Path) -> None:
    settings = _plan(pg_url, 240, batch_size=8)
    state, log = str(tmp_path / "bank.sqlite3"), tmp_path / "worker.log"
    engine = make_engine(pg_url)
    workers = [_worker(pg_url, state, log, latency_ms=100, lease_s=5) for _ in range(3)]
    remaining = "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'"
    try:
        _wait(lambda: (_count(engine, "SELECT COUNT(*) FROM debit_batch WHERE status = 'done'") or 0) >= 3, 60, log)
        assert (_count(engine, remaining) or 0) > 0  # the outage falls mid-run
        _restart_postgresql(pg_url)
        _wait(lambda: _count(engine, remaining) == 0, 120, log)
        assert [w.poll() for w in workers] == [None, None, None], log.read_text()[-3000:]  # no worker lost
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
            w.wait(timeout=30)
    assert "database_unavailable" in log.read_text()
    engine.dispose()
    _charged_once(pg_url, settings, state, 240)
