"""The managers' dashboard: coverage against the UCJ target and churn over a range of months, for a
region and each of its parts (the country's provinces, a province's regencies). The figures are the
coverage and churn reports' own: the same snapshot, the same queries and rules."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from billing.reports import churn, coverage, snapshot
from billing.reports.fmt import percent, ym
from billing.reports.schemas import CoverageMonthOut, CoverageRegion, CoverageReport, Moves, RegionRef
from billing.reports.scope import resolve
from billing.reports.service import period
from billing.timeutil import add_months


@dataclass(frozen=True)
class Part:
    """One region's line: its coverage in the last month and its churn over the months."""

    region: RegionRef
    last: CoverageMonthOut
    trend_pp: Decimal | None  # coverage points gained (or lost) from the first month to the last
    churn: Moves

    @property
    def change(self) -> int:
        return self.churn.closing - self.churn.opening

    @property
    def change_pct(self) -> Decimal | None:
        return percent(self.change, self.churn.opening)


@dataclass(frozen=True)
class Dashboard:
    coverage: CoverageReport  # the months of the region and of its parts, as the coverage report has them
    opening_month: str  # churn counts from the end of this month (the one before the first) to the last
    own: Part
    parts: list[Part]  # in Kemendagri code order; none for a regency


def _part(x: CoverageRegion, moves: Moves) -> Part:
    return Part(region=x.region, last=x.months[-1], trend_pp=x.trend_pp, churn=moves)


def build(engine: Engine, code: str | None, first: str, last: str, today: date) -> Dashboard:
    """``first``/``last`` as ``YYYY-MM``; the same checks (422) and unknown-region 404 as the reports."""
    start, end = period(first, last, today)
    opening = add_months(start, -1)
    # The churn opening month too, so the coverage report below finds its months built.
    snapshot.ensure(engine, opening, end, today)
    report = coverage.build(engine, code, start, end, today)
    with engine.connect() as conn:
        total, changes = churn.region_moves(conn, resolve(conn, code), opening, start, end)
    by_code = {c.region.code: c for c in changes}
    return Dashboard(
        coverage=report,
        opening_month=ym(opening),
        own=_part(report.regions[0], total),
        parts=[_part(x, by_code[x.region.code]) for x in report.regions[1:]],
    )
