"""A scenario's history starts with each person's enrolment: every month paid before the simulation
is one of their membership's, and everyone starts it active."""

from pathlib import Path

from billing.simulation.run import Simulation
from billing.simulation.scenario import load
from tests.debits.world import rows
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
