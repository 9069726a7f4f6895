"""The two reports, for the API, the CLI and the benchmark alike: checks of the asked months, then
the report built from the snapshot (months missing from it are built first)."""

from datetime import date

from sqlalchemy import Engine

from billing.errors import InvalidInput
from billing.reports import churn, coverage
from billing.reports.schemas import ChurnReport, CoverageReport
from billing.timeutil import month_start, parse_period

# One report spans at most this many months: the snapshot builds stay bounded.
MAX_MONTHS = 24
EARLIEST = date(2000, 1, 1)


def period(first: str, last: str, today: date) -> tuple[date, date]:
    """``YYYY-MM`` bounds as month starts; every problem at once, as a 422."""
    errors: list[dict[str, str]] = []
    bounds: dict[str, date] = {}
    for field, value in (("from", first), ("to", last)):
        try:
            bounds[field] = parse_period(value)
        except ValueError:
            errors.append({"field": field, "message": "bulan YYYY-MM / a month YYYY-MM", "type": "invalid_month"})
    if not errors:
        start, end = bounds["from"], bounds["to"]
        if start < EARLIEST:
            errors.append({"field": "from", "message": "sejak 2000-01 / from 2000-01 on", "type": "too_early"})
        if end < start:
            errors.append({"field": "to", "message": "sebelum from / before from", "type": "before_from"})
        if end > month_start(today):
            errors.append({"field": "to", "message": "bulan yang akan datang / a future month", "type": "future"})
        if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            errors.append(
                {
                    "field": "to",
                    "message": f"paling banyak {MAX_MONTHS} bulan / {MAX_MONTHS} months at most",
                    "type": "too_long",
                }
            )
    if errors:
        raise InvalidInput(
            "Periode laporan tidak valid; lihat 'errors'. / Invalid report period; see 'errors'.",
            code="invalid_report_period",
            errors=errors,  # type: ignore[arg-type]
        )
    return bounds["from"], bounds["to"]


def coverage_report(engine: Engine, region: str | None, first: str, last: str, today: date) -> CoverageReport:
    start, end = period(first, last, today)
    return coverage.build(engine, region, start, end, today)


def churn_report(engine: Engine, region: str | None, first: str, last: str, today: date) -> ChurnReport:
    start, end = period(first, last, today)
    return churn.build(engine, region, start, end, today)
