"""Simulated bank and e-wallet accounts, and how much each can pay on a given day.

An account's balance is a function of the date and of what was debited, so no day-by-day ticking is
needed: each payday starts a pay cycle in which the income arrives and is then spent at
``daily_spend`` a day (the payday itself included), and a monthly ``bill`` (rent, a loan instalment)
leaves on ``bill_day``. Money left over from the previous cycle is taken as spent; ``savings`` stay.
So balances are low just before payday and high just after, as the retry policy expects.

    available(day) = savings + max(0, income - daily_spend * (days since payday + 1) - bill due)
                     - debited in this cycle
"""

import calendar
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class PaydayKind(StrEnum):
    monthly = "monthly"  # ``day`` is the day of month, clipped to the month's last day
    weekly = "weekly"  # ``day`` is the weekday, 0 = Monday
    daily = "daily"


_DAILY, _WEEKLY = PaydayKind.daily, PaydayKind.weekly  # globals: Enum member lookups are slow on Python 3.11
_DAYS_BACK = tuple(timedelta(days=n) for n in range(7))


class Channel(StrEnum):
    bank = "bank"
    ewallet = "ewallet"


def _monthly(year: int, month: int, day: int) -> date:
    return date(year, month, day if day <= 28 else min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Payday:
    kind: PaydayKind
    day: int = 0

    def last_on_or_before(self, d: date) -> date:
        """The payday that opened the pay cycle ``d`` is in."""
        # Written for speed (it runs on every charge): date() rather than d.replace(), which is 3x slower.
        kind, day = self.kind, self.day
        if kind is _DAILY:
            return d
        if kind is _WEEKLY:
            return d - _DAYS_BACK[(d.weekday() - day) % 7]
        if d.day >= day:
            return date(d.year, d.month, day)
        if day > 28:  # paid on the 31st: in April that is the 30th, which may be today
            pay = _monthly(d.year, d.month, day)
            if pay <= d:
                return pay
        year, month = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
        return date(year, month, day) if day <= 28 else _monthly(year, month, day)


MONTHLY_25 = Payday(PaydayKind.monthly, 25)
DAILY = Payday(PaydayKind.daily)


@dataclass(frozen=True, slots=True)
class AccountSpec:
    token: str  # the payment-method token that charges this account
    payday: Payday = DAILY
    income: int = 0  # rupiah credited each payday
    income_jitter_pct: int = 0  # each payday's income varies by up to ± this percentage, deterministically
    daily_spend: int = 0
    savings: int = 0
    bill: int = 0
    bill_day: int = 1
    channel: Channel = Channel.bank
    per_charge_limit: int | None = None  # e.g. an e-wallet's per-transaction limit
    invalid: bool = False  # the account details are wrong: no charge can reach it
    closed_on: date | None = None
    blocked_on: date | None = None
    dormant_on: date | None = None
    mandate_revoked_on: date | None = None
    # Derived once, read on every charge: whether any check above can refuse a charge (most accounts:
    # no), and the checksum of the token that seeds the income jitter.
    restricted: bool = field(init=False, repr=False, compare=False)
    token_crc: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dated = (self.closed_on, self.blocked_on, self.dormant_on, self.mandate_revoked_on)
        restricted = self.invalid or self.per_charge_limit is not None or any(d is not None for d in dated)
        object.__setattr__(self, "restricted", restricted)
        object.__setattr__(self, "token_crc", zlib.crc32(self.token.encode()))

    def income_on(self, payday: date) -> int:
        j = self.income_jitter_pct
        if not j:
            return self.income
        # crc32, not hash(): str hashes differ between processes, and several processes share one bank.
        u = zlib.crc32(payday.toordinal().to_bytes(3, "little"), self.token_crc) % (2 * j + 1)
        return self.income * (100 - j + u) // 100

    def cycle_funds(self, d: date, payday: date) -> int:
        """What the account holds on ``d`` before this cycle's debits (``payday`` opened the cycle)."""
        income = self.income_on(payday) if self.income_jitter_pct else self.income
        left = income - self.daily_spend * (d.toordinal() - payday.toordinal() + 1)
        if self.bill and payday <= _monthly_on_or_before(d, self.bill_day):
            left -= self.bill
        return self.savings + left if left > 0 else self.savings


def _monthly_on_or_before(d: date, day: int) -> date:
    return Payday(PaydayKind.monthly, day).last_on_or_before(d)
