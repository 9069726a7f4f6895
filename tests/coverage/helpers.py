"""Members, their months and their coverage for the coverage tests, written through the services
(months paid straight in the table where only the coverage rule is under test)."""

from datetime import date, timedelta

from sqlalchemy import Engine, text

from billing.contributions.generation import generate
from billing.coverage.evaluation import evaluate
from billing.db import unit_of_work
from billing.participants import service as participants
from billing.participants.schemas import ParticipantCreate
from billing.timeutil import add_months
from tests.factories import participant_body

ARREARS = 3


def member(engine: Engine, on: date) -> int:
    with unit_of_work(engine) as s:
        p = participants.enrol(s, ParticipantCreate(**participant_body()), on)
        assert p.id is not None
        return p.id


def bill(engine: Engine, first: date, last: date) -> None:
    """Monthly generation for every month from ``first``'s through ``last``'s."""
    month = first.replace(day=1)
    while month <= last:
        with unit_of_work(engine) as s:
            generate(s, month)
        month = add_months(month, 1)


def pay(engine: Engine, pid: int, *months: date) -> None:
    with engine.begin() as conn:
        for month in months:
            done = conn.execute(
                text(
                    "UPDATE contribution SET status = 'paid', amount_paid = amount_due"
                    " WHERE participant_id = :p AND period = :m AND status = 'due'"
                ),
                {"p": pid, "m": month},
            ).rowcount
            assert done == 1, (pid, month)


def nightly(engine: Engine, first: date, last: date) -> None:
    day = first
    while day <= last:
        evaluate(engine, day, ARREARS)
        day += timedelta(days=1)


def status(engine: Engine, pid: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT status FROM participant WHERE id = :p"), {"p": pid}).scalar_one())


def events(engine: Engine, pid: int) -> list[tuple[str, str, str, str | None]]:
    """(day, kind, new status, cause), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT occurred_on, kind, to_status, cause FROM coverage_event WHERE participant_id = :p ORDER BY id"
            ),
            {"p": pid},
        ).all()
    return [(str(d)[:10], str(k), str(t), c) for d, k, t, c in rows]


def month_statuses(engine: Engine, pid: int) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT period, status FROM contribution WHERE participant_id = :p ORDER BY period"), {"p": pid}
        ).all()
    return {str(p)[:7]: str(s) for p, s in rows}
