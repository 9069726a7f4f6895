"""When a month's contribution is due: the 15th, or the next working day in Indonesia."""

from datetime import date, timedelta
from functools import lru_cache

import holidays

DUE_DAY = 15


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Indonesia(years=year).keys())


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _public_holidays(d.year)


def due_date_for(period: date) -> date:
    """The 15th of ``period``'s month, moved to the next working day past weekends and public holidays."""
    due = period.replace(day=DUE_DAY)
    while not is_working_day(due):
        due += timedelta(days=1)
    return due
