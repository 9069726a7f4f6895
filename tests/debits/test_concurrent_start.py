"""Three schedulers firing the same job at the same moment start one run; planning meets another
run's planning of the same month. PostgreSQL."""

import multiprocessing as mp
import threading
import time
from datetime import date

from sqlalchemy import text

from billing.db import make_engine
from billing.debits import planning, runs
from billing.debits.models import RunKind
from billing.settings import Settings
from schedulers import jobs
from tests.debits.world import enrol, rows

DAY = date(2024, 6, 5)


def _fire(url: str, barrier: "mp.synchronize.Barrier", out: "mp.Queue[int]") -> None:
    ctx = jobs.JobContext.from_settings(Settings(database_url=url, debit_batch_size=7, log_level="WARNING"))
    barrier.wait()
    out.put(jobs.debit_run(ctx, DAY))


def test_three_schedulers_start_one_run(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, log_level="WARNING")
    engine = make_engine(pg_url)
    for _ in range(50):
        enrol(engine, date(2024, 6, 1), "sim_ok")
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)

    spawn = mp.get_context("spawn")
    barrier, out = spawn.Barrier(3), spawn.Queue()
    procs = [spawn.Process(target=_fire, args=(pg_url, barrier, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    run_ids = {out.get(timeout=5) for _ in procs}

    assert len(run_ids) == 1
    assert rows(engine, "SELECT kind, COUNT(*) FROM job_run WHERE kind = 'debit' GROUP BY kind") == [("debit", 1)]
    assert rows(engine, "SELECT COUNT(*), COUNT(DISTINCT contribution_id) FROM debit_attempt") == [(50, 50)]
    # Every attempt sits in exactly one batch.
    covered = rows(
        engine,
        "SELECT COUNT(*) FROM debit_attempt a JOIN debit_batch b "
        "ON a.id BETWEEN b.first_attempt_id AND b.last_attempt_id AND b.run_id = a.run_id",
    )
    assert covered == [(50,)]
    assert rows(engine, "SELECT SUM(size) FROM debit_batch") == [(50,)]
    engine.dispose()


def test_an_attempt_inserted_by_another_run_meanwhile_is_skipped(pg_url: str) -> None:
    """Planning skips attempts that exist with an anti-join; one that another run inserts while the
    chunk is being planned fails the chunk on the unique index, and the chunk is planned again
    skipping it."""
    settings = Settings(database_url=pg_url, log_level="WARNING")
    engine = make_engine(pg_url)
    for _ in range(6):
        enrol(engine, date(2024, 6, 1), "sim_ok")
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    run_id = runs.start(engine, RunKind.debit, DAY)
    other = runs.start(engine, RunKind.debit, date(2024, 6, 4))
    first = rows(engine, "SELECT MIN(id) FROM contribution")[0][0]
    rival = engine.connect()
    rival.begin()
    rival.execute(
        text(
            "INSERT INTO debit_attempt (run_id, contribution_id, mandate_id, attempt_no, trigger, amount,"
            " idempotency_key, gateway, payment_method, status, created_at)"
            " SELECT :run, c.id, m.id, 1, 'scheduled', c.amount_due, 'ct' || c.id || '-1', m.gateway,"
            " m.payment_method, 'pending', now() FROM contribution c JOIN mandate m ON m.participant_id ="
            " c.participant_id WHERE c.id = :c"
        ),
        {"run": other, "c": first},
    )
    # The planner's insert waits on the rival's uncommitted row, then fails on the unique index.
    planner = threading.Thread(target=planning.plan, args=(engine, run_id, DAY, 4))
    planner.start()
    deadline = time.monotonic() + 30
    while not rows(
        engine, "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )[0][0]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    rival.commit()
    rival.close()
    planner.join(30)
    assert not planner.is_alive()

    assert rows(engine, "SELECT run_id, COUNT(*) FROM debit_attempt GROUP BY run_id ORDER BY run_id") == [
        (run_id, 5),
        (other, 1),
    ]
    assert rows(engine, "SELECT SUM(size) FROM debit_batch WHERE run_id = :r", r=run_id) == [(5,)]
    engine.dispose()
