"""One active scheduler at a time; a standby takes over when it dies; a scheduler started late runs
today's missed jobs."""

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from billing.settings import Settings
from schedulers import jobs, leadership, process
from schedulers.schedule import SCHEDULE, Job

JAKARTA = ZoneInfo("Asia/Jakarta")


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 6, 5, hour, minute, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_at(0, 10), []),
        (_at(0, 30), ["generate-contributions"]),
        (_at(7), ["generate-contributions", "discount-credit", "sponsor-invoices", "debit-run", "sponsor-charges"]),
        (
            _at(23, 45),
            [
                "generate-contributions",
                "discount-credit",
                "sponsor-invoices",
                "debit-run",
                "sponsor-charges",
                "lapse-evaluation",
                "report-snapshots",
            ],
        ),
    ],
)
def test_the_daily_jobs_missed_by_a_late_start(now: datetime, expected: list[str]) -> None:
    assert [j.id for j in process.missed_today(now, "Asia/Jakarta")] == expected


def test_missed_jobs_are_read_in_the_schedules_time_zone() -> None:
    # 23:30 UTC on the 4th is 06:30 in Jakarta on the 5th: the debit run's time has passed there.
    utc = datetime(2024, 6, 4, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert [j.id for j in process.missed_today(utc, "Asia/Jakarta")] == [
        "generate-contributions",
        "discount-credit",
        "sponsor-invoices",
        "debit-run",
        "sponsor-charges",
    ]


def _recording(monkeypatch: pytest.MonkeyPatch, calls: list[str], fail: str = "") -> None:
    def job(name: str) -> object:
        def run(_ctx: object, _today: object = None) -> None:
            calls.append(name)
            if name == fail:
                raise RuntimeError("boom")

        return run

    fake = tuple(Job(j.id, job(j.id), j.trigger, j.description) for j in SCHEDULE)
    monkeypatch.setattr(process, "SCHEDULE", fake)


def test_catch_up_runs_every_missed_job_even_after_one_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _recording(monkeypatch, calls, fail="generate-contributions")
    ctx = jobs.JobContext(Settings(database_url="sqlite://"), create_engine("sqlite://"))
    assert process.catch_up(ctx, _at(7)) == ["discount-credit", "sponsor-invoices", "debit-run", "sponsor-charges"]
    assert calls == ["generate-contributions", "discount-credit", "sponsor-invoices", "debit-run", "sponsor-charges"]


def test_postgresql_lets_one_scheduler_lead_and_a_standby_take_over(_postgresql_database: str) -> None:
    engine = create_engine(_postgresql_database)
    first, second = leadership.PostgresLeadership(engine), leadership.PostgresLeadership(engine)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.held()
        # The active scheduler's connection dies (a crash, a network cut): its lock goes with it.
        with engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
            ).all()
        assert killed == [(True,)]
        assert not first.held()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()
        engine.dispose()


def test_sqlite_lets_one_scheduler_lead_per_database_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    first, second = leadership.for_engine(engine), leadership.for_engine(engine)
    assert isinstance(first, leadership.FileLeadership)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_a_standby_process_loop_takes_over_and_catches_up(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    _recording(monkeypatch, calls)
    engine = create_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    ctx = jobs.JobContext(Settings(database_url=str(engine.url)), engine)
    stops = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(
            target=process.run, args=(ctx, leadership.for_engine(engine), stop, 0.05), kwargs={"now": lambda: _at(7)}
        )
        for stop in stops
    ]
    threads[0].start()
    _wait(lambda: len(calls) == 5)
    threads[1].start()
    threading.Event().wait(0.3)
    assert len(calls) == 5  # the standby did nothing
    stops[0].set()
    threads[0].join(5)
    _wait(lambda: len(calls) == 10)  # the standby became active and caught up
    stops[1].set()
    threads[1].join(5)
    assert not any(t.is_alive() for t in threads)


def _wait(condition, seconds: float = 5) -> None:  # type: ignore[no-untyped-def]
    ticks = int(seconds / 0.02)
    for _ in range(ticks):
        if condition():
            return
        threading.Event().wait(0.02)
    raise AssertionError("timed out")


def test_a_standby_scheduler_process_takes_over_when_the_active_one_is_killed(pg_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_")}
    env |= {
        "BILLING_DATABASE_URL": pg_url,
        "BILLING_SECRET_KEY": "scheduler-test-secret",
        "BILLING_SCHEDULER_STANDBY_SECONDS": "0.3",
        "BILLING_LOG_JSON": "true",
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    cmd = [str(Path(sys.executable).parent / "billing"), "scheduler"]
    procs = [subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT) for log in logs]
    try:

        def active() -> list[int]:
            return [i for i, log in enumerate(logs) if '"scheduler_active"' in log.read_text()]

        _wait(lambda: len(active()) == 1, 60)
        threading.Event().wait(1.5)  # the other stays on standby
        assert len(active()) == 1
        leader = active()[0]
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait()
        _wait(lambda: len(active()) == 2, 30)  # the standby became active
    finally:
        for p in procs:
            p.kill()
            p.wait()
