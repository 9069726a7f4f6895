"""Clock helpers. Jobs take "today" as a parameter; this is only for timestamps of writes."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def month_start(d: date) -> date:
    return d.replace(day=1)


def parse_period(value: str) -> date:
    """``YYYY-MM`` to the first day of that month; raises ValueError otherwise."""
    year, _, month = value.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError("period must be YYYY-MM")
    return date(int(year), int(month), 1)


def add_months(d: date, n: int) -> date:
    """First day of the month ``n`` months after ``d``'s month."""
    idx = d.year * 12 + d.month - 1 + n
    return date(idx // 12, idx % 12 + 1, 1)


def today_local(tz_name: str) -> date:
    """Today's date in the deployment's timezone (Asia/Jakarta by default)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz_name)).date()
