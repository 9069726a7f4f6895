"""When a failed debit is tried again. Soft failures are retried on dates aimed at paydays (most
informal and private-sector wages land around the 25th and the 1st) and just before the next due
date; hard failures stop; nothing is retried past the last month in which arrears can still be paid."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from billing.gateways.failures import FailureClass, rule
from billing.settings import Settings
from billing.timeutil import add_months


class RetryPolicy(Protocol):
    def next_retry(self, code: str, failed_on: date, attempt_no: int, period: date) -> date | None: ...


def _last_payable_day(period: date, arrears_months: int) -> date:
    end_month = add_months(period, arrears_months)
    return end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])


@dataclass(frozen=True)
class _Limits:
    max_attempts: int
    arrears_months: int

    def allowed(self, code: str, attempt_no: int) -> bool:
        r = rule(code)
        return r.failure_class is FailureClass.soft and attempt_no < min(self.max_attempts, r.max_tries)

    def within_cover(self, day: date, period: date) -> date | None:
        return day if day <= _last_payable_day(period, self.arrears_months) else None


@dataclass(frozen=True)
class PaydayPolicy(_Limits):
    payday_days: tuple[int, ...] = (25, 1)
    before_due_day: int = 14

    def next_retry(self, code: str, failed_on: date, attempt_no: int, period: date) -> date | None:
        if not self.allowed(code, attempt_no):
            return None
        days = sorted({*self.payday_days, self.before_due_day})
        for offset in range(3):
            month = add_months(failed_on, offset)
            for day in days:
                candidate = month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))
                if candidate > failed_on:
                    return self.within_cover(candidate, period)
        return None


@dataclass(frozen=True)
class FixedIntervalPolicy(_Limits):
    days: int = 3

    def next_retry(self, code: str, failed_on: date, attempt_no: int, period: date) -> date | None:
        if not self.allowed(code, attempt_no):
            return None
        return self.within_cover(failed_on + timedelta(days=self.days), period)


def from_settings(settings: Settings) -> RetryPolicy:
    limits = {"max_attempts": settings.retry_max_attempts, "arrears_months": settings.arrears_months}
    if settings.retry_strategy == "fixed":
        return FixedIntervalPolicy(**limits, days=settings.retry_fixed_days)
    return PaydayPolicy(**limits, payday_days=settings.retry_payday_days, before_due_day=settings.retry_before_due_day)
