from datetime import date

import pytest

from billing.debits.policy import FixedIntervalPolicy, PaydayPolicy

payday = PaydayPolicy(max_attempts=4, arrears_months=3, payday_days=(25, 1), before_due_day=14)
fixed = FixedIntervalPolicy(max_attempts=4, arrears_months=3, days=3)
JUNE = date(2024, 6, 1)


@pytest.mark.parametrize(
    ("failed_on", "attempt_no", "expected"),
    [
        (date(2024, 6, 5), 1, date(2024, 6, 14)),  # before the due date
        (date(2024, 6, 14), 2, date(2024, 6, 25)),  # payday
        (date(2024, 6, 25), 3, date(2024, 7, 1)),  # civil-service payday
        (date(2024, 6, 26), 1, date(2024, 7, 1)),
        (date(2024, 6, 25), 4, None),  # the 4th attempt was the last
    ],
)
def test_payday_dates(failed_on: date, attempt_no: int, expected: date | None) -> None:
    assert payday.next_retry("insufficient_funds", failed_on, attempt_no, JUNE) == expected


def test_few_tries_for_do_not_honor_and_none_for_hard_failures() -> None:
    assert payday.next_retry("do_not_honor", date(2024, 6, 5), 1, JUNE) == date(2024, 6, 14)
    assert payday.next_retry("do_not_honor", date(2024, 6, 14), 2, JUNE) is None
    for code in ("account_closed", "mandate_revoked", "authentication_required", "invalid_account"):
        assert payday.next_retry(code, date(2024, 6, 5), 1, JUNE) is None


def test_never_past_the_last_month_arrears_can_be_paid() -> None:
    # June's contribution can be paid until the end of September; a retry after that is pointless.
    assert payday.next_retry("insufficient_funds", date(2024, 9, 26), 1, JUNE) is None
    assert payday.next_retry("insufficient_funds", date(2024, 9, 20), 1, JUNE) == date(2024, 9, 25)
    assert fixed.next_retry("insufficient_funds", date(2024, 9, 29), 1, JUNE) is None


def test_fixed_interval() -> None:
    assert fixed.next_retry("insufficient_funds", date(2024, 6, 5), 1, JUNE) == date(2024, 6, 8)
    assert fixed.next_retry("insufficient_funds", date(2024, 6, 5), 4, JUNE) is None
