"""The coverage report: active participants against potential workers and the UCJ target, per month,
for a region and each of its parts."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Row

from billing.reports import snapshot
from billing.reports.explain import coverage_text
from billing.reports.fmt import percent, ym
from billing.reports.queries import as_date, run
from billing.reports.schemas import CoverageMonthOut, CoverageRegion, CoverageReport, RegionRef
from billing.reports.scope import Region, Scope, resolve


class Workforce:
    """Potential workers and targets by region and year. A region without its own figure for a year
    uses its latest earlier one (BPS publishes late); without any, the sum of the regions under it."""

    def __init__(self, rows: Sequence[Row[Any]]) -> None:
        self._rows: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        self._children: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            self._rows[r.region_code].append((int(r.year), int(r.potential_workers), int(r.coverage_target_bp)))
            self._children[r.parent_code or ""].add(r.region_code)

    def own(self, code: str, year: int) -> tuple[int, int] | None:
        years = [(y, pw, bp) for y, pw, bp in self._rows.get(code, []) if y <= year]
        if not years:
            return None
        _, potential, target_bp = max(years)
        return potential, target_bp

    def potential(self, code: str, year: int) -> int | None:
        own = self.own(code, year)
        if own is not None:
            return own[0]
        parts = [p for child in sorted(self._children.get(code, ())) if (p := self.potential(child, year)) is not None]
        return sum(parts) if parts else None

    def target_bp(self, code: str, year: int) -> int | None:
        own = self.own(code, year)
        return None if own is None else own[1]


def _month_out(month: date, counts: tuple[int, int, int], workforce: Workforce, code: str) -> CoverageMonthOut:
    participants, active, in_arrears = counts
    potential = workforce.potential(code, month.year)
    target_bp = workforce.target_bp(code, month.year)
    coverage = None if potential is None else percent(active, potential)
    target = None if target_bp is None else (Decimal(target_bp) / 100).quantize(Decimal("0.01"))
    needed = None if target_bp is None or potential is None else (target_bp * potential + 5000) // 10000
    return CoverageMonthOut(
        month=ym(month),
        participants=participants,
        active=active,
        in_arrears=in_arrears,
        potential_workers=potential,
        coverage_pct=coverage,
        target_pct=target,
        gap_pct=None if target is None or coverage is None else target - coverage,
        gap_participants=None if needed is None else needed - active,
    )


def _region_out(
    region: Region, months: list[date], counts: dict[date, tuple[int, int, int]], wf: Workforce
) -> CoverageRegion:
    rows = [_month_out(m, counts.get(m, (0, 0, 0)), wf, region.code) for m in months]
    first, last = rows[0].coverage_pct, rows[-1].coverage_pct
    return CoverageRegion(
        region=RegionRef(code=region.code, name=region.name, level=region.level),
        months=rows,
        trend_pp=None if first is None or last is None else last - first,
    )


def build(engine: Engine, code: str | None, first: date, last: date, today: date) -> CoverageReport:
    as_of = snapshot.ensure(engine, first, last, today)
    with engine.connect() as conn:
        scope: Scope = resolve(conn, code)
        trend = run(conn, "coverage_trend", first=first, last=last, **scope.bounds)
        workforce = Workforce(run(conn, "workforce", scope=scope.region.code, last_year=last.year))
    months = snapshot.months(first, last)
    by_child: dict[str, dict[date, tuple[int, int, int]]] = defaultdict(dict)
    total: dict[date, tuple[int, int, int]] = defaultdict(lambda: (0, 0, 0))
    for r in trend:
        month, counts = as_date(r.month), (int(r.participants), int(r.active), int(r.in_arrears))
        by_child[r.region_code][month] = counts
        total[month] = tuple(a + b for a, b in zip(total[month], counts, strict=True))  # type: ignore[assignment]
    regions = [_region_out(scope.region, months, total, workforce)]
    regions += [_region_out(child, months, by_child.get(child.code, {}), workforce) for child in scope.children]
    return CoverageReport(
        region=regions[0].region,
        first_month=ym(first),
        last_month=ym(last),
        as_of=as_of,
        regions=regions,
        explanation=coverage_text(regions),
    )
