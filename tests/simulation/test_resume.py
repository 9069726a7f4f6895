"""A simulation killed with SIGKILL at any moment (while setting up, in the middle of a day) and
started again ends exactly where an uninterrupted one does, and the simulated bank took every
contribution's money at most once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from billing.gateways.simulator.codes import SUCCESS
from billing.gateways.simulator.sqlite_store import SqliteStore
from tests.conftest import empty_database
from tests.simulation.figures import simulate

LAST_DAY = "2024-02-20"
KILL_AFTER_S = (2.0, 5.0, 7.5)  # setting up (about 3 s), then inside the simulated days


def fingerprint(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Everything the simulation decided, keyed by NIK and month rather than by row ids (a killed
    transaction may leave a gap in a PostgreSQL sequence)."""
    queries = {
        "contributions": """SELECT p.nik, c.period, c.status, c.paid_via, c.paid_on FROM contribution c
                            JOIN participant p ON p.id = c.participant_id""",
        "attempts": """SELECT p.nik, c.period, a.attempt_no, a.trigger, a.status, a.failure_code
                       FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
                       JOIN participant p ON p.id = c.participant_id""",
        "coverage": """SELECT p.nik, e.occurred_on, e.kind, e.to_status, e.cause FROM coverage_event e
                       JOIN participant p ON p.id = e.participant_id""",
        "mandates": "SELECT p.nik, m.status FROM mandate m JOIN participant p ON p.id = m.participant_id",
    }
    with engine.connect() as conn:
        return {name: sorted(tuple(map(str, r)) for r in conn.execute(text(sql))) for name, sql in queries.items()}


def _kill_after(env: dict[str, str], seconds: float) -> None:
    billing = str(Path(sys.executable).parent / "billing")
    proc = subprocess.Popen([billing, "simulate", "--to", LAST_DAY], env=env, stdout=subprocess.DEVNULL)
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


# On PostgreSQL only, the production database: a minute and a half per backend, and what it proves (a
# day's work committed whole or not at all, resumed from the clock) is the simulation's, not SQL's.
@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_killed_and_resumed_equals_uninterrupted(app, engine, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bank = tmp_path / "bank-killed.sqlite3"
    env = {
        **os.environ,
        "BILLING_DATABASE_URL": db_url,
        "BILLING_SANDBOX": "true",
        "BILLING_SIMULATOR_STATE": str(bank),
        "BILLING_LOG_JSON": "false",
        "BILLING_LOG_LEVEL": "WARNING",
    }
    for seconds in KILL_AFTER_S:
        _kill_after(env, seconds)
    simulate(app, "--to", LAST_DAY, "--bank-state", str(bank))
    resumed = fingerprint(engine)

    # At the bank: one successful charge per contribution at most, and one per contribution we count paid.
    successes = Counter(
        r.idempotency_key.split("-")[0] for r in SqliteStore(bank).charges() if r.raw_code == SUCCESS.code
    )
    assert max(successes.values()) == 1
    paid_by_debit = sum(1 for c in resumed["contributions"] if c[3] == "debit")
    assert len(successes) == paid_by_debit > 0

    empty_database(db_url)
    simulate(app, "--to", LAST_DAY, "--bank-state", str(tmp_path / "bank-straight.sqlite3"))
    straight = fingerprint(engine)
    for name in straight:
        assert resumed[name] == straight[name], name
    assert len(straight["attempts"]) > 300
