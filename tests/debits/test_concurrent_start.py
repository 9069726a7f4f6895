"""Three schedulers firing the same job at the same moment start one run. PostgreSQL."""

import multiprocessing as mp
from datetime import date

from billing.db import make_engine
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
