"""On random coverage histories the waterfall always balances, every part of it adds up, and the
active counts of the reports are the active participants counted one by one."""

from collections import Counter
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from billing.coverage.models import CoverageEvent
from billing.participants.models import Participant
from billing.reports import service, snapshot
from billing.reports.models import CoverageMonth, DebitMonth, ReportSnapshot
from billing.timeutil import add_months

START, END = date(2023, 12, 1), date(2024, 7, 31)
TODAY = date(2024, 8, 1)
REGIONS = ("19.71", "19.01", "15.04")
ECOSYSTEMS = ("desa", "pasar", "ecommerce_umkm", "rentan")
# status → the moves the coverage rules make from it: (event kind, new status, cause)
MOVES: dict[str, list[tuple[str, str, str | None]]] = {
    "registered": [
        ("activated", "active", None),
        ("entered_arrears", "in_arrears", "no_payment"),
        ("ended", "ended", "no_payment"),
        ("cancelled", "cancelled", "voluntary"),
    ],
    "active": [
        ("entered_arrears", "in_arrears", "insufficient_funds"),
        ("entered_arrears", "in_arrears", "account_closed"),
        ("ended", "ended", "no_payment"),
        ("cancelled", "cancelled", "voluntary"),
        ("sponsor_stopped", "ended", "sponsor_stopped"),
    ],
    "in_arrears": [
        ("recovered", "active", None),
        ("ended", "ended", "insufficient_funds"),
        ("cancelled", "cancelled", "voluntary"),
        ("sponsor_stopped", "ended", "sponsor_stopped"),
    ],
    # Re-registration, then (from registered) a first payment; or straight back to active.
    "ended": [("reactivated", "registered", None), ("reactivated", "active", None)],
    "cancelled": [("reactivated", "registered", None), ("reactivated", "active", None)],
}

histories = st.lists(
    st.tuples(
        st.sampled_from(REGIONS),
        st.sampled_from(ECOSYSTEMS),
        st.integers(0, (END - START).days),  # enrolment day
        # Each step: days after the previous event (0: the same day) and which allowed move.
        st.lists(st.tuples(st.integers(0, 45), st.integers(0, 4)), max_size=7),
    ),
    min_size=1,
    max_size=25,
)


def _insert(engine, people) -> list[dict]:  # type: ignore[no-untyped-def]
    participants, events = [], []
    for n, (region, ecosystem, enrol_day, steps) in enumerate(people, start=1):
        on = START + timedelta(days=enrol_day)
        participants.append(
            {
                "id": n,
                "nik": f"{n:016d}",
                "full_name": f"Peserta {n}",
                "phone": "+6281234567890",
                "gender": "L",
                "birth_date": date(1990, 1, 1),
                "region_code": region,
                "ecosystem": ecosystem,
                "sector": "pedagang",
                "sector_category": "perdagangan",
                "declared_income": 1_000_000,
                "jht": False,
                "status": "registered",
                "enrolment_source": "api",
                "enrolled_on": on,
                "membership_from": on.replace(day=1),
            }
        )
        status = "registered"
        events.append((n, on, "enrolled", None, status, None))
        for gap, pick in steps:
            on += timedelta(days=gap)
            if on > END:
                break
            kind, to, cause = MOVES[status][pick % len(MOVES[status])]
            events.append((n, on, kind, status, to, cause))
            status = to
    with engine.begin() as conn:
        for table in (CoverageMonth, DebitMonth, ReportSnapshot, CoverageEvent, Participant):
            conn.execute(delete(table))
        conn.execute(insert(Participant), participants)
        keys = ("participant_id", "occurred_on", "kind", "from_status", "to_status", "cause")
        conn.execute(insert(CoverageEvent), [dict(zip(keys, e, strict=True)) for e in events])
    return [dict(zip(keys, e, strict=True)) | {"region": people[e[0] - 1][0]} for e in events]


def _active_at(events: list[dict], day: date) -> Counter[str]:
    """Active participants per regency at the end of ``day``: their last event by then says active."""
    last: dict[int, dict] = {}
    for e in events:  # in the order written: by date within each participant
        if e["occurred_on"] <= day:
            last[e["participant_id"]] = e
    return Counter(e["region"] for e in last.values() if e["to_status"] == "active")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=histories, first_offset=st.integers(0, 6), length=st.integers(0, 6))
def test_waterfall_balances_and_counts_agree(engine, people, first_offset: int, length: int) -> None:  # type: ignore[no-untyped-def]
    events = _insert(engine, people)
    snapshot.refresh(engine, add_months(START, -11), END, TODAY)
    first = add_months(date(2024, 1, 1), first_offset)
    last = min(add_months(first, length), date(2024, 7, 1))
    span = (f"{first:%Y-%m}", f"{last:%Y-%m}")

    coverage = service.coverage_report(engine, "19", *span, TODAY)
    for month in snapshot.months(first, last):
        counted = _active_at(events, add_months(month, 1) - timedelta(days=1))
        figures = {
            x.region.code: next(m.active for m in x.months if m.month == f"{month:%Y-%m}") for x in coverage.regions
        }
        assert figures["19"] == counted["19.71"] + counted["19.01"]
        assert figures["19.71"] == counted["19.71"] and figures["19.01"] == counted["19.01"]

    opening_day = first - timedelta(days=1)
    closing_day = add_months(last, 1) - timedelta(days=1)
    for region in (None, "19", "19.71", "15.04"):
        report = service.churn_report(engine, region, *span, TODAY)
        check = report.waterfall.check
        assert check.balanced and check.difference == 0
        assert check.opening + check.ins - check.outs == check.closing
        opening, closing = _active_at(events, opening_day), _active_at(events, closing_day)
        in_scope = [r for r in REGIONS if region is None or r == region or r.startswith(f"{region}.")]
        assert check.opening == sum(opening[r] for r in in_scope)
        assert check.closing == sum(closing[r] for r in in_scope)
        by = {b.dimension: b.rows for b in report.breakdowns}
        assert sum(x.lapses for x in by["cause"]) == check.outs
        assert sum(x.lapses for x in by["tenure"]) == check.outs
        for row in by["ecosystem"]:  # an ecosystem never changes, so each one balances on its own
            assert row.opening + row.ins - row.lapses == row.closing
        assert sum(x.closing for x in by["ecosystem"]) == check.closing
        if report.regions:
            assert sum(x.change for x in report.regions) == report.waterfall.change
