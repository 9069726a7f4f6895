"""The monthly snapshot behind every report: ``coverage_month`` and ``debit_month`` rows per regency
and month, built set-based from coverage events, contributions and debit attempts by the SQL in
``sql/reports/snapshot_*.sql``. A build replaces a month's rows in one transaction, so readers see
the old month or the new one. The scheduler refreshes this month and the last every night; a report
builds a month that was never built, or whose figures are more than a day behind."""

from datetime import date, timedelta

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, delete, insert, text

from billing.reports.models import CoverageMonth, DebitMonth, ReportSnapshot
from billing.reports.queries import as_date, execute, run
from billing.timeutil import add_months, month_start, utcnow

# Namespace of the PostgreSQL advisory lock that lets one build of a month run at a time.
LOCK_NAMESPACE = 7_320_000_000
BUILD_WORK_MEM = "256MB"

_scratch = MetaData()
STATUS = Table(
    "tmp_report_status",
    _scratch,
    Column("participant_id", Integer, primary_key=True),
    Column("to_status", String(12), nullable=False),
    prefixes=["TEMPORARY"],
)
PERSON = Table(
    "tmp_report_person",
    _scratch,
    Column("participant_id", Integer, primary_key=True),
    Column("region_code", String(5), nullable=False),
    Column("ecosystem", String(14), nullable=False),
    Column("payer", String(12), nullable=False),
    Column("sponsor", String(20)),
    Column("channel", String(7), nullable=False),
    Column("debit_day", String(4), nullable=False),
    Column("cohort", String(7), nullable=False),
    Column("tenure", Integer, nullable=False),
    Column("active", Integer, nullable=False),
    Column("in_arrears", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
EVENT = Table(
    "tmp_report_event",
    _scratch,
    Column("participant_id", Integer, nullable=False),
    Column("measure", String(20), nullable=False),
    Column("cause", String(40)),
    # A lapse caused by a sponsor's stop is counted under that sponsor, though its members pay
    # themselves from the stop on (None: the person's own payer and sponsor of the month).
    Column("payer", String(12)),
    Column("sponsor", String(20)),
    prefixes=["TEMPORARY"],
)
SCRATCH = (STATUS, PERSON, EVENT)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def months(first: date, last: date) -> list[date]:
    out, month = [], month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def complete_through(month: date, today: date) -> date:
    """The last day whose events a build of ``month`` made today can hold."""
    return min(month_end(month), today)


def _analyze_scratch(conn: Connection, *tables: Table) -> None:
    # Temporary tables get no automatic statistics; without them the planner guesses badly.
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {', '.join(t.name for t in tables)}"))


def build_month(engine: Engine, month: date, today: date) -> None:
    """Rebuild one month's snapshot rows from the events, contributions and attempts."""
    month = month_start(month)
    params = {"month": month, "month_end": month_end(month), "month_index": month.year * 12 + month.month}
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            key = LOCK_NAMESPACE + month.year * 100 + month.month
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            # A nightly batch over every participant: let its sorts and hashes stay in memory.
            conn.execute(text(f"SET LOCAL work_mem = '{BUILD_WORK_MEM}'"))
        for table in SCRATCH:
            table.drop(conn, checkfirst=True)  # left on a pooled SQLite connection by a failed build
            table.create(conn)
        execute(conn, "snapshot_status", **params)
        _analyze_scratch(conn, STATUS)
        execute(conn, "snapshot_person", **params)
        execute(conn, "snapshot_event", **params)
        _analyze_scratch(conn, PERSON, EVENT)
        conn.execute(delete(CoverageMonth).where(CoverageMonth.month == month))  # type: ignore[arg-type]
        conn.execute(delete(DebitMonth).where(DebitMonth.month == month))  # type: ignore[arg-type]
        execute(conn, "snapshot_coverage", **params)
        execute(conn, "snapshot_debit", **params)
        conn.execute(delete(ReportSnapshot).where(ReportSnapshot.month == month))  # type: ignore[arg-type]
        conn.execute(
            insert(ReportSnapshot).values(month=month, as_of=complete_through(month, today), built_at=utcnow())
        )
        for table in SCRATCH:
            table.drop(conn)


def built(conn: Connection, first: date, last: date) -> dict[date, date]:
    """``{month: as_of}`` of the months already built in ``first..last``."""
    return {as_date(m): as_date(a) for m, a in run(conn, "snapshot_months", first=first, last=last)}


def _analyze(engine: Engine) -> None:
    """Fresh statistics after a build: with the old ones PostgreSQL may plan a national report as an
    index walk over the whole table."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE coverage_month, debit_month"))


def refresh(engine: Engine, first: date, last: date, today: date) -> list[date]:
    """Rebuild every month ``first..last`` (not past today's month); returns the months built."""
    done = months(first, min(last, month_start(today)))
    for month in done:
        build_month(engine, month, today)
    if done:
        _analyze(engine)
    return done


def ensure(engine: Engine, first: date, last: date, today: date) -> date:
    """Build the months of ``first..last`` that were never built or are more than a day behind;
    returns the date through which the last month's figures are complete."""
    with engine.connect() as conn:
        have = built(conn, first, last)
    stale = [m for m in months(first, last) if have.get(m, date.min) < complete_through(m, today - timedelta(days=1))]
    for month in stale:
        build_month(engine, month, today)
        have[month] = complete_through(month, today)
    if stale:
        _analyze(engine)
    return have[month_start(last)]
