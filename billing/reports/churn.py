"""The churn report: the waterfall from active at the start to active at the end of a range of
months, why participants left active (by cause, ecosystem, payer, sponsor, channel, debit day and
months since enrolment), which parts of the region moved most, cohort retention and debit recovery."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Row

from billing.reports import labels, snapshot
from billing.reports.explain import churn_text
from billing.reports.fmt import percent, ym
from billing.reports.queries import as_date, run
from billing.reports.schemas import (
    AttemptRow,
    Bilingual,
    Breakdown,
    BreakdownRow,
    Check,
    ChurnReport,
    Cohort,
    CohortPoint,
    Moves,
    Recovery,
    RegionChange,
    RegionRef,
    Step,
    Waterfall,
)
from billing.reports.scope import Scope, resolve
from billing.timeutil import add_months

BREAKDOWNS = ("cause", "ecosystem", "payer", "sponsor", "channel", "debit_day", "tenure")
COHORT_MONTHS = 12  # cohorts enrolled in the 12 months up to the last month of the report


def _counts(row: Row[Any] | dict[str, int]) -> dict[str, int]:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {key: int(get(key) or 0) for key in ("opening", "closing", *labels.MEASURES)}


def moves(counts: dict[str, int]) -> dict[str, int]:
    """The counts with their sums: moves in, moves out of active (lapses), and every ending."""
    ins = sum(counts[k] for k in labels.INS)
    lapses = sum(counts[k] for k in labels.OUTS)
    # A sponsor's stop moves its members into arrears (a lapse), it ends nobody by itself.
    endings = counts["ended"] + counts["cancelled"] + counts["ended_from_arrears"] + counts["ended_before_paying"]
    return {**counts, "ins": ins, "lapses": lapses, "endings": endings}


def waterfall(total: Moves) -> Waterfall:
    values = total.model_dump()
    steps = [Step(key=k, sign=s, label_id=i, label_en=e, count=values[k]) for k, s, i, e in labels.WATERFALL]
    info = [Step(key=k, sign="", label_id=i, label_en=e, count=values[k]) for k, i, e in labels.INFO]
    computed = total.opening + total.ins - total.lapses
    check = Check(
        opening=total.opening,
        ins=total.ins,
        outs=total.lapses,
        computed_closing=computed,
        closing=total.closing,
        difference=total.closing - computed,
        balanced=computed == total.closing,
    )
    change = total.closing - total.opening
    return Waterfall(steps=steps, info=info, check=check, change=change, change_pct=percent(change, total.opening))


def _sort_key(dimension: str, row: BreakdownRow) -> tuple[Any, ...]:
    if dimension in ("cause", "sponsor"):
        return (-row.lapses, -row.endings, -row.closing, row.value)
    if dimension in ("tenure", "debit_day"):
        return (not row.value.isdigit(), int(row.value) if row.value.isdigit() else 0)
    return (row.value,)


def breakdowns(rows: Sequence[Row[Any]], sponsors: dict[str, str], total_lapses: int) -> list[Breakdown]:
    by_dimension: dict[str, list[BreakdownRow]] = defaultdict(list)
    for r in rows:
        m = moves(_counts(r))
        if r.dimension == "sponsor":
            label_id = label_en = sponsors.get(r.value, r.value)
        else:
            label_id, label_en = labels.value_label(r.dimension, r.value)
        by_dimension[r.dimension].append(
            BreakdownRow(
                value=r.value,
                label_id=label_id,
                label_en=label_en,
                share_pct=percent(m["lapses"], total_lapses, places=1),
                **m,
            )
        )
    out = []
    for dimension in BREAKDOWNS:
        label_id, label_en = labels.DIMENSIONS[dimension]
        found = sorted(by_dimension.get(dimension, []), key=lambda row: _sort_key(dimension, row))
        out.append(Breakdown(dimension=dimension, label_id=label_id, label_en=label_en, rows=found))
    return out


def region_changes(scope: Scope, rows: Sequence[Row[Any]], total_change: int) -> list[RegionChange]:
    found = {r.region_code: moves(_counts(r)) for r in rows}
    empty = moves(_counts({}))
    out = []
    for child in scope.children:
        m = found.get(child.code, empty)
        change = m["closing"] - m["opening"]
        out.append(
            RegionChange(
                region=RegionRef(code=child.code, name=child.name, level=child.level),
                change=change,
                share_of_change_pct=percent(change, total_change, places=1),
                **m,
            )
        )
    return sorted(out, key=lambda r: (r.change, r.region.code))


def region_moves(
    conn: Connection, scope: Scope, opening: date, first: date, last: date
) -> tuple[Moves, list[RegionChange]]:
    """Active at the end of ``opening`` and of ``last`` and the moves between, for the scope and for
    each of its parts: the churn report's totals, and all the managers' dashboard needs of churn."""
    rows = run(conn, "churn_regions", opening=opening, first=first, last=last, **scope.bounds)
    summed = {k: sum(int(getattr(r, k)) for r in rows) for k in ("opening", "closing", *labels.MEASURES)}
    total = Moves(**moves(summed))
    return total, region_changes(scope, rows, total.closing - total.opening)


def cohorts(rows: Sequence[Row[Any]]) -> list[Cohort]:
    by_cohort: dict[str, list[Row[Any]]] = defaultdict(list)
    for r in rows:
        by_cohort[r.cohort].append(r)
    out = []
    for cohort, points in sorted(by_cohort.items()):
        size = max(int(p.participants) for p in points)
        start = int(cohort[:4]) * 12 + int(cohort[5:7])
        out.append(
            Cohort(
                cohort=cohort,
                participants=size,
                points=[
                    CohortPoint(
                        month=ym(as_date(p.month)),
                        months_since=as_date(p.month).year * 12 + as_date(p.month).month - start,
                        active=int(p.active),
                        retention_pct=percent(int(p.active), size, places=1),
                    )
                    for p in points
                ],
            )
        )
    return out


def recovery(rows: Sequence[Row[Any]]) -> Recovery:
    attempts = [
        AttemptRow(
            attempt_no=int(r.attempt_no),
            attempts=int(r.attempts),
            succeeded=int(r.succeeded),
            failed=int(r.failed),
            recovered_later=int(r.recovered_later),
            success_pct=percent(int(r.succeeded), int(r.attempts), places=1),
        )
        for r in rows
    ]
    first = next((a for a in attempts if a.attempt_no == 1), None)
    failed, recovered = (first.failed, first.recovered_later) if first else (0, 0)
    return Recovery(
        attempts=attempts, failed_first=failed, recovered=recovered, recovery_pct=percent(recovered, failed, places=1)
    )


def _sponsor_names(conn: Connection, rows: Sequence[Row[Any]]) -> dict[str, str]:
    ids = sorted({int(r.value) for r in rows if r.dimension == "sponsor"})
    return {str(r.id): r.name for r in run(conn, "sponsor_names", ids=ids)} if ids else {}


def build(engine: Engine, code: str | None, first: date, last: date, today: date) -> ChurnReport:
    opening = add_months(first, -1)
    cohort_first = add_months(last, 1 - COHORT_MONTHS)
    as_of = snapshot.ensure(engine, min(opening, cohort_first), last, today)
    with engine.connect() as conn:
        scope = resolve(conn, code)
        total, changes = region_moves(conn, scope, opening, first, last)
        params = {"opening": opening, "first": first, "last": last, **scope.bounds}
        by_value = run(conn, "churn_breakdown", **params)
        sponsors = _sponsor_names(conn, by_value)
        cohort_rows = run(
            conn,
            "cohorts",
            first=cohort_first,
            last=last,
            first_cohort=ym(cohort_first),
            last_cohort=ym(last),
            **scope.bounds,
        )
        attempts = run(conn, "recovery", first=first, last=last, **scope.bounds)
    flow = waterfall(total)
    region = RegionRef(code=scope.region.code, name=scope.region.name, level=scope.region.level)
    report = ChurnReport(
        region=region,
        first_month=ym(first),
        last_month=ym(last),
        opening_month=ym(opening),
        as_of=as_of,
        waterfall=flow,
        breakdowns=breakdowns(by_value, sponsors, total.lapses),
        regions=changes,
        cohorts=cohorts(cohort_rows),
        recovery=recovery(attempts),
        explanation=Bilingual(id="", en=""),
    )
    # The sentences are made from the report's own figures, so text and tables cannot disagree.
    report.explanation = churn_text(report)
    return report
