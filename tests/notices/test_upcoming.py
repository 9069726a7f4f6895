"""Upcoming-debit reminders: the first debits due in the next N days, queued once per contribution."""

from datetime import date

import pytest
from sqlalchemy import text

from billing.db import unit_of_work
from billing.notices.service import queue_upcoming
from schedulers import jobs
from tests.debits.world import enrol, rows

JUNE_1 = date(2024, 6, 1)


@pytest.fixture
def people(engine, settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {
        "day5": enrol(engine, JUNE_1, "sim_ok", debit_day=5),
        "day4": enrol(engine, JUNE_1, "sim_ok", debit_day=4),
        "day10": enrol(engine, JUNE_1, "sim_ok", debit_day=10),
        "day1": enrol(engine, JUNE_1, "sim_ok", debit_day=1),
        "no_mandate": enrol(engine, JUNE_1, None),
        "paid": enrol(engine, JUNE_1, "sim_ok", debit_day=5),
        "suspended": enrol(engine, JUNE_1, "sim_ok", debit_day=5),
        "sponsored": enrol(engine, JUNE_1, "sim_ok", debit_day=5),
    }
    jobs.generate_contributions(jobs.JobContext(settings, engine), date(2024, 6, 30))  # June and July
    with engine.begin() as conn:
        conn.execute(text("UPDATE contribution SET status = 'paid' WHERE participant_id = :p"), {"p": ids["paid"]})
        conn.execute(text("UPDATE mandate SET status = 'suspended' WHERE participant_id = :p"), {"p": ids["suspended"]})
        conn.execute(
            text("UPDATE contribution SET payer = 'sponsor_apbd' WHERE participant_id = :p"), {"p": ids["sponsored"]}
        )
    return ids


def upcoming(engine) -> dict[int, dict[str, object]]:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from billing.notices.models import Notice

    with unit_of_work(engine) as s:
        found = s.exec(select(Notice).where(Notice.kind == "debit_upcoming")).all()
        return {n.participant_id: {"key": n.dedupe_key, **n.params} for n in found}


def test_reminders_for_debits_in_the_next_two_days_once(engine, people) -> None:  # type: ignore[no-untyped-def]
    june_3 = date(2024, 6, 3)
    assert queue_upcoming(engine, june_3, 2) == 2  # debits on 4 and 5 June
    assert queue_upcoming(engine, june_3, 2) == 0
    assert queue_upcoming(engine, date(2024, 6, 4), 2) == 0  # the 5th's reminder is already queued
    got = upcoming(engine)
    assert set(got) == {people["day5"], people["day4"]}
    (june_contribution,) = rows(
        engine, "SELECT id FROM contribution WHERE participant_id = :p AND period = '2024-06-01'", p=people["day5"]
    )[0]
    assert got[people["day5"]] == {
        "key": f"debit_upcoming:{june_contribution}",
        "amount": 16800,
        "period": "2024-06-01",
        "debit_on": "2024-06-05",
        "account": "BRI ••••1234",
    }
    assert got[people["day4"]]["debit_on"] == "2024-06-04"


def test_a_window_across_the_month_end_reminds_of_next_month(engine, people) -> None:  # type: ignore[no-untyped-def]
    assert queue_upcoming(engine, date(2024, 6, 30), 2) == 1  # 1 and 2 July
    got = upcoming(engine)
    assert list(got) == [people["day1"]]
    assert (got[people["day1"]]["period"], got[people["day1"]]["debit_on"]) == ("2024-07-01", "2024-07-01")


def test_the_daily_debit_job_queues_them(engine, settings, people) -> None:  # type: ignore[no-untyped-def]
    ctx = jobs.JobContext(settings, engine)
    jobs.debit_run(ctx, date(2024, 6, 8))  # notice_days_before_debit = 2: 9 and 10 June
    jobs.debit_run(ctx, date(2024, 6, 8))
    assert set(upcoming(engine)) == {people["day10"]}
    assert rows(engine, "SELECT COUNT(*) FROM notice WHERE kind = 'debit_upcoming'") == [(1,)]


def test_a_setting_of_zero_days_queues_nothing(engine, settings, people) -> None:  # type: ignore[no-untyped-def]
    ctx = jobs.JobContext(settings.model_copy(update={"notice_days_before_debit": 0}), engine)
    jobs.debit_run(ctx, date(2024, 6, 3))
    assert upcoming(engine) == {}
