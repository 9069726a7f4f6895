"""A scenario's history starts with each person's enrolment: every month paid before the simulation
is one of their membership's, each member is active from their first due date, and everyone starts
the simulation active."""

from datetime import date
from pathlib import Path

from billing.contributions.due_dates import due_date_for
from billing.simulation.run import Simulation
from billing.simulation.scenario import load
from billing.timeutil import add_months
from tests.debits.world import as_date, rows
from tests.simulation.test_custom_scenario import SCENARIO


def test_history_is_paid_from_the_enrolment_month_on(engine, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    Simulation.open(engine, settings, load(str(path)), 3)  # sets up the world as of 31 December 2023
    # Five self-payers enrolled from 1 October to 15 December 2023: their months from enrolment on.
    history = rows(
        engine,
        "SELECT p.enrolled_on, c.period, c.status FROM contribution c JOIN participant p ON p.id = c.participant_id",
    )
    assert history and all(str(period)[:7] >= str(enrolled)[:7] for enrolled, period, _ in history), history
    assert {status for _, period, status in history if str(period) < "2024-01"} == {"paid"}
    per_person = rows(
        engine,
        "SELECT p.id, COUNT(c.id), MIN(c.period) FROM participant p JOIN contribution c ON c.participant_id = p.id"
        " WHERE c.period < '2024-01-01' GROUP BY p.id",
    )
    enrolled = dict(rows(engine, "SELECT id, enrolled_on FROM participant"))
    for pid, months, first in per_person:
        start = str(enrolled[pid])[:7]
        assert str(first)[:7] == start
        assert months == 12 - int(start[5:7]) + 1  # through December 2023
    assert rows(engine, "SELECT DISTINCT status FROM participant") == [("active",)]
    # Each active from the first due date on or after enrolment (a cohort is not at 0% until the eve).
    activated = rows(
        engine,
        "SELECT p.enrolled_on, e.occurred_on FROM coverage_event e JOIN participant p ON p.id = e.participant_id"
        " WHERE e.kind = 'activated'",
    )
    assert len(activated) == 5
    for enrolled_on, on in activated:
        enrolled_on, on = as_date(enrolled_on), as_date(on)
        first = enrolled_on.replace(day=1)
        due = due_date_for(first) if due_date_for(first) >= enrolled_on else due_date_for(add_months(first, 1))
        assert on == min(due, date(2023, 12, 31)), (enrolled_on, on)  # or on the eve of the simulation
