"""Reproducible populations of simulated accounts: same seed, same accounts, same outcomes.

A population token spells out how its account was generated (``pop-<seed>-<yyyymmdd>-<profile>-<i>``),
so any process sharing the simulated bank rebuilds the account from the token alone. Profiles are the
built-in ``PROFILES`` or those a scenario names ``<scenario>:<profile>`` (see ``billing.simulation``).
"""

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from billing.gateways.simulator.accounts import AccountSpec, Channel, Payday, PaydayKind

HORIZON_DAYS = 365  # closures, dormancy and revocations fall within a year of the population's start
CYCLE_DAYS = {PaydayKind.monthly: 30, PaydayKind.weekly: 7, PaydayKind.daily: 1}


@dataclass(frozen=True, slots=True)
class Profile:
    """Ranges an account of this kind is drawn from. Percentages are integers; money is rupiah."""

    name: str
    payday_kind: PaydayKind
    payday_days: tuple[int, ...]  # one is picked (day of month, or weekday)
    income: tuple[int, int]  # per payday
    income_jitter_pct: int
    # How long a payday's income lasts, in percent of the pay cycle: below 100 the account runs dry
    # before the next payday ("tanggal tua"), above it some money is left when the next pay arrives.
    lasts_pct: tuple[int, int]
    savings: tuple[int, int]
    ewallet_pct: int = 0  # accounts that are e-wallets with a per-transaction limit
    ewallet_limit: int = 100_000
    closed_pct: int = 0  # accounts closed, blocked, dormant or revoked at some day within the horizon
    blocked_pct: int = 0
    dormant_pct: int = 0
    revoked_pct: int = 0
    invalid_pct: int = 0
    horizon_days: int = HORIZON_DAYS  # closures etc. fall within this many days of the start


_M, _W, _D = PaydayKind.monthly, PaydayKind.weekly, PaydayKind.daily

# fmt: off
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(  # private-sector wages, paid around the 25th to month end
            "wage_25", _M, (25, 26, 27, 28, 31), income=(2_500_000, 6_000_000), income_jitter_pct=0,
            lasts_pct=(40, 130), savings=(0, 30_000), ewallet_pct=10, ewallet_limit=500_000,
            closed_pct=2, dormant_pct=2, revoked_pct=3, invalid_pct=1,
        ),
        Profile(  # civil servants and village officials, paid on the 1st
            "civil_servant_1", _M, (1,), income=(3_000_000, 8_000_000), income_jitter_pct=0,
            lasts_pct=(60, 150), savings=(50_000, 500_000), closed_pct=1, revoked_pct=1,
        ),
        Profile(  # market traders: takings counted weekly
            "weekly_trader", _W, (0, 1, 2, 3, 4, 5, 6), income=(400_000, 1_200_000), income_jitter_pct=25,
            lasts_pct=(55, 130), savings=(0, 50_000), ewallet_pct=30, ewallet_limit=200_000,
            closed_pct=2, dormant_pct=4, revoked_pct=3, invalid_pct=1,
        ),
        Profile(  # ojol drivers and couriers: paid out daily, mostly into e-wallets
            "daily_driver", _D, (0,), income=(60_000, 200_000), income_jitter_pct=40,
            lasts_pct=(85, 125), savings=(0, 20_000), ewallet_pct=70, ewallet_limit=100_000,
            closed_pct=1, blocked_pct=2, dormant_pct=3, revoked_pct=4, invalid_pct=1,
        ),
        Profile(  # vulnerable workers: spending often exceeds income
            "struggling", _W, (4, 5), income=(150_000, 400_000), income_jitter_pct=50,
            lasts_pct=(50, 105), savings=(0, 5_000), ewallet_pct=40, ewallet_limit=50_000,
            closed_pct=4, dormant_pct=8, revoked_pct=5, invalid_pct=2,
        ),
        Profile(  # workers who keep a buffer: nearly always pay
            "saver", _M, (25, 1), income=(3_000_000, 9_000_000), income_jitter_pct=0,
            lasts_pct=(90, 160), savings=(500_000, 3_000_000), revoked_pct=1,
        ),
    )
}
# fmt: on

DEFAULT_MIX: dict[str, int] = {
    "wage_25": 30,
    "civil_servant_1": 10,
    "weekly_trader": 20,
    "daily_driver": 25,
    "struggling": 10,
    "saver": 5,
}


_TOKEN = re.compile(r"pop-(\d+)-(\d{4})(\d{2})(\d{2})-(.+)-(\d+)")


def profile(name: str) -> Profile:
    """A built-in profile, or a scenario's ``<scenario>:<profile>``; KeyError when unknown."""
    if name in PROFILES:
        return PROFILES[name]
    if ":" not in name:
        raise KeyError(name)
    # Imported here: scenarios are built on the simulator, not the other way round.
    from billing.simulation.scenario import bank_profile

    return bank_profile(name)


def population_token(seed: int, start: date, profile: str, index: int) -> str:
    return f"pop-{seed}-{start:%Y%m%d}-{profile}-{index}"


def _thousands(r: random.Random, bounds: tuple[int, int]) -> int:
    return r.randint(bounds[0] // 1000, bounds[1] // 1000) * 1000


def _event_day(r: random.Random, pct: int, start: date, horizon: int) -> date | None:
    hit = r.randrange(100) < pct
    offset = r.randrange(horizon)  # drawn either way so later draws do not depend on this one
    return start + timedelta(days=offset) if hit else None


def build_account(seed: int, start: date, profile_name: str, index: int) -> AccountSpec:
    """The account behind one population token; KeyError for an unknown profile."""
    p = profile(profile_name)
    token = population_token(seed, start, profile_name, index)
    r = random.Random(token)  # seeding with a str is stable across processes and runs
    income = _thousands(r, p.income)
    spend = income * 100 // (r.randint(*p.lasts_pct) * CYCLE_DAYS[p.payday_kind])
    ewallet = r.randrange(100) < p.ewallet_pct
    return AccountSpec(
        token=token,
        payday=Payday(p.payday_kind, r.choice(p.payday_days)),
        income=income,
        income_jitter_pct=p.income_jitter_pct,
        daily_spend=spend,
        savings=_thousands(r, p.savings),
        channel=Channel.ewallet if ewallet else Channel.bank,
        per_charge_limit=p.ewallet_limit if ewallet else None,
        invalid=r.randrange(100) < p.invalid_pct,
        closed_on=_event_day(r, p.closed_pct, start, p.horizon_days),
        blocked_on=_event_day(r, p.blocked_pct, start, p.horizon_days),
        dormant_on=_event_day(r, p.dormant_pct, start, p.horizon_days),
        mandate_revoked_on=_event_day(r, p.revoked_pct, start, p.horizon_days),
    )


def parse_population_token(token: str) -> AccountSpec | None:
    """The account a population token names, or None when it is not one."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    seed, year, month, day, name, index = match.groups()
    try:
        return build_account(int(seed), date(int(year), int(month), int(day)), name, int(index))
    except (KeyError, ValueError):
        return None


def _known(name: str) -> bool:
    try:
        profile(name)
    except KeyError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Population:
    seed: int
    start: date
    accounts: tuple[AccountSpec, ...]

    @property
    def tokens(self) -> list[str]:
        return [a.token for a in self.accounts]

    @classmethod
    def generate(
        cls, seed: int, n: int, mix: Mapping[str, int] | None = None, start: date = date(2026, 1, 1)
    ) -> "Population":
        """``n`` accounts, profiles in proportion to ``mix`` (weights by profile name), in a seeded order."""
        if seed < 0 or n < 0:
            raise ValueError("seed and n must not be negative")
        weights = dict(mix or DEFAULT_MIX)
        if unknown := {name for name in weights if not _known(name)}:
            raise ValueError(f"unknown profiles: {', '.join(sorted(unknown))}; known: {', '.join(PROFILES)}")
        total = sum(weights.values())
        if total <= 0 or min(weights.values()) < 0:
            raise ValueError("profile weights must be non-negative and not all zero")
        # Largest remainder: the counts add up to n exactly and follow the weights as closely as possible.
        exact = {name: n * w / total for name, w in weights.items()}
        counts = {name: int(x) for name, x in exact.items()}
        by_remainder = sorted(weights, key=lambda name: (counts[name] - exact[name], name))
        for name in by_remainder[: n - sum(counts.values())]:
            counts[name] += 1
        profiles = [name for name in sorted(counts) for _ in range(counts[name])]
        random.Random(seed).shuffle(profiles)
        accounts = tuple(build_account(seed, start, name, i) for i, name in enumerate(profiles))
        return cls(seed, start, accounts)
