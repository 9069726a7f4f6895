from datetime import date

import pytest

from billing.contributions.due_dates import due_date_for


@pytest.mark.parametrize(
    ("period", "due"),
    [
        (date(2024, 5, 1), date(2024, 5, 15)),  # a Wednesday: the 15th itself
        (date(2025, 6, 1), date(2025, 6, 16)),  # Sunday 15 → Monday 16
        (date(2024, 9, 1), date(2024, 9, 17)),  # Sunday 15, Monday 16 Maulid Nabi → Tuesday 17
        (date(2024, 6, 1), date(2024, 6, 18)),  # Saturday 15, Sunday, Monday 17 Iduladha → Tuesday 18
        (date(2026, 8, 1), date(2026, 8, 18)),  # Saturday 15, Sunday, Monday 17 Independence Day → 18
        (date(2026, 11, 20), date(2026, 11, 16)),  # any day of the month names the month; Sunday 15 → 16
    ],
)
def test_due_date(period: date, due: date) -> None:
    assert due_date_for(period) == due
