"""Random payment histories (months paid on time, late, never; re-registrations after an ending):
after every night the nightly evaluation ran, each member's status is the one the rule, read plainly
below, gives. The month is billed on its first day, an enrolment day and a re-registration day."""

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from billing.contributions.due_dates import due_date_for
from billing.contributions.generation import generate
from billing.coverage import service as coverage
from billing.coverage.evaluation import evaluate
from billing.db import unit_of_work
from billing.participants.models import Participant
from billing.timeutil import add_months, month_start
from tests.coverage.helpers import ARREARS, member

FIRST = date(2025, 1, 1)
MONTHS = [add_months(FIRST, i) for i in range(6)]
LAST = date(2025, 7, 31)
ENDED = ("ended", "cancelled")


def expected(status: str, membership_from: date, paid: set[date], day: date) -> str:
    """The rule: the due months of the membership are those whose due date has come; none → as it was
    (registered); none unpaid → active; else the months from the oldest unpaid one through the
    latest due one are the arrears: up to ARREARS → in arrears; more → ended. An ending stays."""
    if status in ENDED:
        return status
    due = []
    month = membership_from
    while due_date_for(month) <= day:
        due.append(month)
        month = add_months(month, 1)
    if not due:
        return status
    unpaid = [m for m in due if m not in paid]
    if not unpaid:
        return "active"
    arrears = len([m for m in due if m >= unpaid[0]])
    return "in_arrears" if arrears <= ARREARS else "ended"


person = st.fixed_dictionaries(
    {
        "enrolled": st.integers(0, 75),  # days after 1 January 2025
        # For each month: paid that many days after its first day, or never.
        "pays": st.lists(st.one_of(st.none(), st.integers(0, 120)), min_size=len(MONTHS), max_size=len(MONTHS)),
        "back": st.lists(st.integers(60, 210), max_size=2),  # days on which they try to register again
    }
)


def _clean(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        for table in ("notice", "coverage_event", "contribution_line", "contribution", "participant"):
            conn.execute(text(f"DELETE FROM {table}"))


def _statuses(engine) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {r[0]: str(r[1]) for r in conn.execute(text("SELECT id, status FROM participant"))}


def _pay(engine, pid: int, month: date) -> bool:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return bool(
            conn.execute(
                text(
                    "UPDATE contribution SET status = 'paid', amount_paid = amount_due"
                    " WHERE participant_id = :p AND period = :m AND status = 'due'"
                ),
                {"p": pid, "m": month},
            ).rowcount
        )


def test_status_follows_the_rule_every_night(engine) -> None:  # type: ignore[no-untyped-def]
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(people=st.lists(person, min_size=1, max_size=3))
    def check(people: list[dict]) -> None:  # type: ignore[type-arg]
        _clean(engine)
        enrol_on = {i: FIRST + timedelta(days=p["enrolled"]) for i, p in enumerate(people)}
        payments: dict[date, list[tuple[int, date]]] = {}
        for i, p in enumerate(people):
            for month, offset in zip(MONTHS, p["pays"], strict=True):
                if offset is not None:
                    payments.setdefault(month + timedelta(days=offset), []).append((i, month))
        backs = {FIRST + timedelta(days=d): i for i, p in enumerate(people) for d in p["back"]}
        nights = {d for m in MONTHS for d in (m, due_date_for(m) - timedelta(days=1), due_date_for(m))}
        nights |= set(enrol_on.values()) | set(payments) | set(backs)
        ids: dict[int, int] = {}
        model: dict[int, tuple[str, date, set[date]]] = {}  # status, membership_from, paid months
        for day in sorted(d for d in nights if d <= LAST):
            for i, on in enrol_on.items():
                if on == day:
                    ids[i] = member(engine, day)
                    model[i] = ("registered", month_start(day), set())
            if day.day == 1 or day in backs or day in enrol_on.values():
                with unit_of_work(engine) as s:  # as the daily job would have, by this day
                    generate(s, month_start(day))
            if day in backs and backs[day] in ids and model[backs[day]][0] in ENDED:
                i = backs[day]
                with unit_of_work(engine) as s:
                    found = s.get(Participant, ids[i])
                    assert found is not None
                    coverage.reregister(s, found, day)
                model[i] = ("registered", month_start(day), model[i][2])
            for i, month in payments.get(day, []):
                # Money for an ended membership's month is refused; a month not billed cannot be paid.
                if i in ids and model[i][0] not in ENDED and month >= model[i][1] and _pay(engine, ids[i], month):
                    model[i][2].add(month)
            evaluate(engine, day, ARREARS)
            model = {i: (expected(s, f, paid, day), f, paid) for i, (s, f, paid) in model.items()}
            found = _statuses(engine)
            assert {i: found[ids[i]] for i in model} == {i: s for i, (s, _, _) in model.items()}, day

    check()
