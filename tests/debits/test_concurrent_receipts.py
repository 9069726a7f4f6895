"""Two worker processes debit while finance records an agent's cash receipt for every one of the same
months through the API (PostgreSQL, a bank shared through its state file). Each month ends paid once;
a debit that got to the gateway before its receipt is the participant's credit; nothing is lost,
nothing recorded without moving, and the books agree with the bank's own records."""

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from billing.db import make_engine
from billing.debits.service import start_debit_run
from billing.gateways.registry import load_gateway
from billing.ledger.verify import verify
from billing.settings import Settings
from schedulers import jobs
from tests.debits.world import enrol, rows
from tests.factories import auth, token

DAY = date(2024, 6, 5)
PEOPLE = 40


# Exclusive: on a busy machine the debits can settle a month before its receipt is posted (a 409).
@pytest.mark.exclusive
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_receipts_while_workers_debit_never_collect_twice(app, client, db_url, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("billing.contributions.api.today", lambda: DAY)
    state = str(tmp_path / "bank.sqlite3")
    settings = Settings(database_url=db_url, debit_batch_size=4, log_level="WARNING")
    engine = make_engine(db_url)
    for _ in range(PEOPLE):
        enrol(engine, date(2024, 6, 1), "sim_ok")
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    start_debit_run(engine, settings, DAY)
    june = [cid for (cid,) in rows(engine, "SELECT id FROM contribution WHERE period = '2024-06-01' ORDER BY id")]
    env = {
        **os.environ,
        "BILLING_DATABASE_URL": db_url,
        "BILLING_GATEWAY": "simulator",
        "BILLING_SIMULATOR_STATE": state,
        "BILLING_SIMULATOR_LATENCY_MS": "100",
        "BILLING_LOG_LEVEL": "WARNING",
        "BILLING_SECRET_KEY": "test-secret-of-the-worker-processes",
    }
    cmd = [str(Path(sys.executable).parent / "billing"), "worker", "--once", "--poll", "0.1"]
    log = (tmp_path / "workers.log").open("ab")
    workers = [subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT) for _ in range(2)]
    finance = auth(token(app, "finance"))
    debited_first: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE sent_at IS NOT NULL")[0][0]:
            assert time.monotonic() < deadline, (tmp_path / "workers.log").read_text()[-3000:]
            time.sleep(0.01)
        # A batch is at the gateway: receipts now meet debits in flight, then months not yet handed off.
        # A debit that succeeded before its receipt was recorded paid the month: the receipt is refused
        # (409 already paid; "changed" when the debit landed while the receipt was being recorded, and
        # asked again, as a clerk would), and no cash is taken for it.
        for n, cid in enumerate(june):
            body = {"receipt_number": f"AGEN-{n}", "channel": "agent", "amount": 16_800, "paid_on": "2024-06-05"}
            resp = client.post(f"/api/v1/contributions/{cid}/offline-payment", json=body, headers=finance)
            if resp.status_code == 409 and resp.get_json()["code"] == "contribution_changed":
                resp = client.post(f"/api/v1/contributions/{cid}/offline-payment", json=body, headers=finance)
            if resp.status_code == 409 and resp.get_json()["code"] == "contribution_already_paid":
                debited_first.append(cid)
                continue
            assert resp.status_code == 200, resp.get_json()
        for w in workers:
            assert w.wait(timeout=120) == 0, (tmp_path / "workers.log").read_text()[-3000:]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    outcome = dict(rows(engine, "SELECT status, COUNT(*) FROM debit_attempt GROUP BY status"))
    print("attempts by outcome", outcome)
    assert sum(outcome.values()) == PEOPLE and set(outcome) <= {"succeeded", "cancelled"}, outcome
    assert outcome.get("succeeded", 0) >= 4  # the first batch was at the gateway before any receipt
    bank = load_gateway("simulator", state_path=state)
    debited = bank.bank.total_debited()  # type: ignore[attr-defined]
    assert debited == 16_800 * outcome.get("succeeded", 0)
    # Every month paid once, by its receipt; each debit that got there too is credit, which paid July.
    assert rows(engine, "SELECT COUNT(*), SUM(amount_paid) FROM contribution WHERE period = '2024-06-01'") == [
        (PEOPLE, PEOPLE * 16_800)
    ]
    credited = rows(
        engine,
        "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer"
        " WHERE kind = 'debit' AND credit_account = 'participant_credit'",
    )[0][0]
    # A month the debit paid first has no receipt; the others' successful debits are credit.
    for cid in debited_first:
        assert rows(engine, f"SELECT paid_via FROM contribution WHERE id = {cid}") == [("debit",)]
    assert rows(engine, "SELECT COUNT(*) FROM receipt WHERE number LIKE 'AGEN-%'")[0][0] == PEOPLE - len(debited_first)
    assert credited == debited - 16_800 * len(debited_first)
    with engine.connect() as conn:
        result = verify(conn, bank)
    assert result.ok, result.problems
    engine.dispose()
