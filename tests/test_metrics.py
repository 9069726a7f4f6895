"""What an operator's Prometheus sees: the debit engine's figures in every process, gunicorn's workers
summed in one scrape, and the database's absence said rather than a failed scrape."""

import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from billing.debits import execution
from billing.debits.policy import from_settings as retry_policy
from billing.debits.service import start_debit_run
from billing.metrics import EngineState
from schedulers import jobs
from tests.debits.world import World, enrol
from tests.test_bad_input import _free_port

DAY = date(2024, 6, 5)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_web_apps_metrics_show_the_debit_engine(client, engine, settings) -> None:  # type: ignore[no-untyped-def]
    for method in ["sim_ok"] * 3 + ["sim_insufficient_funds", "sim_timeout_then_ok"]:
        enrol(engine, date(2024, 6, 1), method)
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    start_debit_run(engine, settings.model_copy(update={"debit_batch_size": 2}), DAY)
    before = _samples(client.get("/metrics").get_data(as_text=True))
    assert _value(before, "billing_database_up") == 1
    assert _value(before, "billing_debit_batches", state="queued") == 3
    assert _value(before, "billing_job_runs_unfinished", kind="debit") == 1

    world = World.create(engine, settings, DAY)
    execution.work(engine, world.gateway, retry_policy(settings), execution.timedelta(seconds=60))
    after = _samples(client.get("/metrics").get_data(as_text=True))
    assert _value(after, "billing_debit_batches", state="queued") == 0
    grew = {
        outcome: _value(after, "billing_debit_attempts_total", outcome=outcome, failure_code=code)
        - _value(before, "billing_debit_attempts_total", outcome=outcome, failure_code=code)
        for outcome, code in (("succeeded", ""), ("failed", "insufficient_funds"))
    }
    assert grew == {"succeeded": 3, "failed": 1}
    collected = _value(after, "billing_debit_collected_rupiah_total") - _value(
        before, "billing_debit_collected_rupiah_total"
    )
    assert collected == 3 * 16_800
    assert _value(after, "billing_debit_unknown_attempts") == 1  # the timeout waits for the settlement job
    assert _value(after, "billing_debit_unknown_oldest_seconds") >= 0
    assert _value(after, "billing_debit_batch_seconds_count") >= 3
    # Every batch is done: the run is completed, no longer unfinished, and it is the last run measured.
    assert _value(after, "billing_job_runs_unfinished", kind="debit") == 0
    assert ("billing_debit_last_run_seconds", ()) in after


def test_a_database_that_does_not_answer_is_a_gauge_not_a_failed_scrape() -> None:
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    families = {f.name: f for f in EngineState(dead).collect()}
    assert [s.value for s in families["billing_database_up"].samples] == [0]


def test_gunicorn_workers_are_summed_in_one_scrape(sqlite_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "PROMETHEUS_"))}
    env |= {"BILLING_DATABASE_URL": sqlite_url, "BILLING_SECRET_KEY": "metrics-test", "BILLING_LOG_LEVEL": "WARNING"}
    args = [str(Path(sys.executable).parent / "billing"), "serve", "--port", str(port), "--workers", "3"]
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        def healthz_count() -> float:
            samples = _samples(urllib.request.urlopen(base + "/metrics", timeout=5).read().decode())
            return _value(samples, "billing_http_requests_total", method="GET", route="/healthz", status="200")

        before = healthz_count()
        # Sent 12 at a time, so that every worker serves some.
        with ThreadPoolExecutor(12) as pool:
            list(pool.map(lambda _: urllib.request.urlopen(base + "/healthz", timeout=10).read(), range(60)))
        # Every scrape, whichever worker answers it, counts all 60.
        assert [healthz_count() - before for _ in range(6)] == [60] * 6
    finally:
        proc.terminate()
        proc.wait(timeout=30)
