"""A month of daily runs on the simulator, every figure checked by hand.

Seven participants enrolled in April 2024 (Rp 16,800 a month: JKK+JKM at the Rp 1,000,000 bracket),
April and May paid at an agent, a mandate debiting on the 5th. June 2024's due date is Tuesday the
18th (the 15th is a Saturday, the 17th Idul Adha). Payday-aware retries: 14th, 25th, then 1 July."""

from datetime import date

import pytest
from sqlalchemy import text

from billing.ledger.verify import verify
from schedulers import jobs
from tests.debits.world import World, as_date, enrol, mark_paid_offline, rows

APRIL, MAY_END, JUNE_1, JUNE_30 = date(2024, 4, 1), date(2024, 5, 31), date(2024, 6, 1), date(2024, 6, 30)
METHODS = {
    "ok": "sim_ok",
    "broke": "sim_insufficient_funds",
    "payday": "sim_insufficient_until_payday_25",
    "closed": "sim_account_closed",
    "revoked": "sim_mandate_revoked",
    "timeout": "sim_timeout_then_ok",
    "none": None,
}


@pytest.fixture
def june(engine, settings):  # type: ignore[no-untyped-def]
    ids = {name: enrol(engine, APRIL, method) for name, method in METHODS.items()}
    world = World.create(engine, settings, APRIL)
    jobs.generate_contributions(world.ctx, APRIL)  # April and May
    mark_paid_offline(engine, until=date(2024, 5, 1))
    jobs.lapse_evaluation(world.ctx, MAY_END)
    world.days(JUNE_1, JUNE_30)
    return world, ids


def test_attempts_and_retries(june) -> None:  # type: ignore[no-untyped-def]
    world, ids = june
    got = rows(
        world.engine,
        "SELECT c.participant_id, a.attempt_no, a.status, a.failure_code, r.run_date FROM debit_attempt a "
        "JOIN contribution c ON c.id = a.contribution_id JOIN job_run r ON r.id = a.run_id ORDER BY a.id",
    )
    by = {v: k for k, v in ids.items()}
    attempts = [(by[p], n, s, code, as_date(d)) for p, n, s, code, d in got]
    assert sorted(attempts, key=lambda a: (a[4], a[0])) == sorted(
        [
            ("ok", 1, "succeeded", None, date(2024, 6, 5)),
            ("broke", 1, "failed", "insufficient_funds", date(2024, 6, 5)),
            ("payday", 1, "failed", "insufficient_funds", date(2024, 6, 5)),
            ("closed", 1, "failed", "account_closed", date(2024, 6, 5)),
            ("revoked", 1, "failed", "mandate_revoked", date(2024, 6, 5)),
            # Timed out after charging: settled by lookup minutes later, never charged again.
            ("timeout", 1, "succeeded", None, date(2024, 6, 5)),
            ("broke", 2, "failed", "insufficient_funds", date(2024, 6, 14)),
            ("payday", 2, "failed", "insufficient_funds", date(2024, 6, 14)),
            ("broke", 3, "failed", "insufficient_funds", date(2024, 6, 25)),
            ("payday", 3, "succeeded", None, date(2024, 6, 25)),
        ],
        key=lambda a: (a[4], a[0]),
    )
    schedule = dict(
        rows(
            world.engine,
            "SELECT c.participant_id, s.next_debit_on FROM debit_schedule s "
            "JOIN contribution c ON c.id = s.contribution_id WHERE c.status = 'due' AND c.period = '2024-06-01'",
        )
    )
    assert as_date(schedule[ids["broke"]]) == date(2024, 7, 1)
    assert schedule[ids["closed"]] is None and schedule[ids["revoked"]] is None


def test_hard_failures_suspend_the_mandate(june) -> None:  # type: ignore[no-untyped-def]
    world, ids = june
    mandates = dict(
        rows(world.engine, "SELECT participant_id, status || ':' || COALESCE(status_reason, '') FROM mandate")
    )
    assert mandates[ids["closed"]] == "suspended:account_closed"
    assert mandates[ids["revoked"]] == "suspended:mandate_revoked"
    assert mandates[ids["broke"]] == "active:"


def test_coverage_events_and_statuses(june) -> None:  # type: ignore[no-untyped-def]
    world, ids = june
    by = {v: k for k, v in ids.items()}
    events = [
        (by[p], kind, cause, as_date(on))
        for p, kind, cause, on in rows(
            world.engine,
            "SELECT participant_id, kind, cause, occurred_on FROM coverage_event WHERE kind <> 'enrolled' ORDER BY id",
        )
    ]
    activated = [e for e in events if e[1] == "activated"]
    assert sorted(e[0] for e in activated) == sorted(ids)
    assert all(e[3] == MAY_END for e in activated)
    later = sorted((e for e in events if e[1] != "activated"), key=lambda e: (e[3], e[0]))
    assert later == [
        ("broke", "entered_arrears", "insufficient_funds", date(2024, 6, 18)),
        ("closed", "entered_arrears", "account_closed", date(2024, 6, 18)),
        ("none", "entered_arrears", "no_payment", date(2024, 6, 18)),
        ("payday", "entered_arrears", "insufficient_funds", date(2024, 6, 18)),
        ("revoked", "entered_arrears", "mandate_revoked", date(2024, 6, 18)),
        ("payday", "recovered", None, date(2024, 6, 25)),
    ]
    statuses = dict(rows(world.engine, "SELECT id, status FROM participant"))
    assert {by[p]: s for p, s in statuses.items()} == {
        "ok": "active",
        "timeout": "active",
        "payday": "active",
        "broke": "in_arrears",
        "closed": "in_arrears",
        "revoked": "in_arrears",
        "none": "in_arrears",
    }


def test_money_moved_once_and_the_ledger_agrees(june) -> None:  # type: ignore[no-untyped-def]
    world, _ = june
    bank = world.gateway.bank  # type: ignore[attr-defined]
    assert bank.debits("sim_timeout_then_ok") == 1
    assert bank.debits("sim_ok") == 1 and bank.debits("sim_insufficient_until_payday_25") == 1
    assert bank.total_debited() == 3 * 16_800
    with world.engine.connect() as conn:
        result = verify(conn)
        failed_notices = conn.execute(text("SELECT COUNT(*) FROM notice WHERE kind = 'debit_failed'")).scalar_one()
        at_risk = conn.execute(text("SELECT COUNT(*) FROM notice WHERE kind = 'coverage_at_risk'")).scalar_one()
    assert result.ok, result.problems
    assert result.balances["gateway_clearing"] == 3 * 16_800
    assert failed_notices == 3 + 2 + 1 + 1  # broke ×3, payday ×2, closed, revoked
    assert at_risk == 5


def test_running_every_job_twice_changes_nothing(june) -> None:  # type: ignore[no-untyped-def]
    world, _ = june
    count = (
        "SELECT (SELECT COUNT(*) FROM debit_attempt), (SELECT COUNT(*) FROM coverage_event), "
        "(SELECT COUNT(*) FROM ledger_transfer), (SELECT COUNT(*) FROM contribution)"
    )
    before = rows(world.engine, count)
    world.day(date(2024, 6, 25))
    world.day(JUNE_30)
    assert rows(world.engine, count) == before
