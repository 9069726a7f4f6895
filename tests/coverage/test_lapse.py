"""The lapse rule, month by month, checked by hand. 2025's due dates: 15 January, 17 February and
17 March (the 15th a Saturday), 15 April, 15 May, 16 June (a Sunday), 15 July. Every member below
enrols on Monday 6 January 2025, so their first month is January."""

from datetime import date

from billing.contributions.generation import generate
from billing.db import unit_of_work
from billing.sponsors.models import BudgetType
from billing.sponsors.service import stop
from tests.contributions.helpers import sponsor
from tests.coverage.helpers import bill, events, member, nightly, pay, status

ENROLLED = date(2025, 1, 6)
JAN, FEB, MAR, APR, MAY, JUN = (date(2025, m, 1) for m in range(1, 7))
ENROLMENT = ("2025-01-06", "enrolled", "registered", None)
ACTIVATED = ("2025-01-15", "activated", "active", None)


def test_a_month_paid_ahead_hides_no_unpaid_month(engine) -> None:  # type: ignore[no-untyped-def]
    """February to May unpaid: the one who paid June early ends on 15 May, like the twin who did not."""
    early, twin = member(engine, ENROLLED), member(engine, ENROLLED)
    bill(engine, JAN, JUN)
    pay(engine, early, JAN, JUN)
    pay(engine, twin, JAN)
    nightly(engine, ENROLLED, date(2025, 5, 14))
    assert status(engine, early) == status(engine, twin) == "in_arrears"  # February, March, April
    nightly(engine, date(2025, 5, 15), date(2025, 6, 30))
    for pid in (early, twin):
        assert events(engine, pid) == [
            ENROLMENT,
            ACTIVATED,
            ("2025-02-17", "entered_arrears", "in_arrears", "no_payment"),
            ("2025-05-15", "ended", "ended", "no_payment"),  # February through May: four months
        ]


def test_catching_up_re_anchors_the_count(engine) -> None:  # type: ignore[no-untyped-def]
    pid = member(engine, ENROLLED)
    bill(engine, JAN, date(2025, 8, 1))
    pay(engine, pid, JAN)
    nightly(engine, ENROLLED, date(2025, 4, 9))
    pay(engine, pid, FEB, MAR)  # on 10 April, before April is due
    nightly(engine, date(2025, 4, 10), date(2025, 7, 31))
    assert events(engine, pid) == [
        ENROLMENT,
        ACTIVATED,
        ("2025-02-17", "entered_arrears", "in_arrears", "no_payment"),
        ("2025-04-10", "recovered", "active", None),
        ("2025-04-15", "entered_arrears", "in_arrears", "no_payment"),  # April
        ("2025-07-15", "ended", "ended", "no_payment"),  # April through July, counted from April
    ]


def test_a_member_stays_registered_until_the_first_month_is_due(engine) -> None:  # type: ignore[no-untyped-def]
    pid = member(engine, ENROLLED)
    bill(engine, JAN, FEB)
    nightly(engine, ENROLLED, date(2025, 1, 14))
    assert status(engine, pid) == "registered"
    nightly(engine, date(2025, 1, 15), date(2025, 1, 15))
    assert events(engine, pid)[1:] == [("2025-01-15", "entered_arrears", "in_arrears", "no_payment")]


def test_a_missing_month_is_unpaid(engine) -> None:  # type: ignore[no-untyped-def]
    """Only February was billed and paid: January, never billed, still counts as unpaid."""
    pid = member(engine, ENROLLED)
    with unit_of_work(engine) as s:
        generate(s, FEB)
    pay(engine, pid, FEB)
    nightly(engine, date(2025, 2, 17), date(2025, 2, 17))
    assert status(engine, pid) == "in_arrears"


def test_a_lapse_after_a_sponsor_stopped_says_so(engine) -> None:  # type: ignore[no-untyped-def]
    """The village paid January to March and stopped on 10 April: the member, now paying for
    themself, pays nothing and lapses by the arrears rule, with the sponsor's stop as its cause. A
    member who paid May themself and lapsed afterwards lapsed for their own reason."""
    left, paid_may = member(engine, ENROLLED), member(engine, ENROLLED)
    village = sponsor(engine, BudgetType.apbd, [left, paid_may], ENROLLED)
    bill(engine, JAN, APR)
    for pid in (left, paid_may):
        pay(engine, pid, JAN, FEB, MAR)
    nightly(engine, ENROLLED, date(2025, 4, 9))
    with unit_of_work(engine) as s:
        stop(s, village, date(2025, 4, 10), "anggaran habis")
    nightly(engine, date(2025, 4, 10), date(2025, 4, 30))
    bill(engine, MAY, date(2025, 9, 1))
    pay(engine, paid_may, APR, MAY)
    nightly(engine, date(2025, 5, 1), date(2025, 9, 30))
    assert events(engine, left) == [
        ENROLMENT,
        ACTIVATED,
        ("2025-04-15", "entered_arrears", "in_arrears", "sponsor_stopped"),
        ("2025-07-15", "sponsor_stopped", "ended", "sponsor_stopped"),
    ]
    assert events(engine, paid_may)[-2:] == [
        ("2025-06-16", "entered_arrears", "in_arrears", "no_payment"),
        ("2025-09-15", "ended", "ended", "no_payment"),
    ]
