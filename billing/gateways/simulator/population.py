"""Reproducible populations of simulated accounts: same seed, same accounts, same outcomes.

A population token spells out how its account was generated, so any process sharing the simulated
bank rebuilds the account from the token alone: ``pop-<seed>-<yyyymmdd>-<profile>-<stratum>-<k>of<n>``
is the ``k``-th of the ``n`` accounts of a stratum (``pop-<seed>-<yyyymmdd>-<profile>-<i>`` is a
stratum of one). Profiles are the built-in ``PROFILES`` or those a scenario names
``<scenario>:<profile>`` (see ``billing.simulation``).

The accounts of a stratum are spread evenly over their profile's ranges rather than drawn one by one:
each property's range is cut into ``n`` equal slices and every account gets a different slice, drawn
at random inside it (a Latin hypercube). Fifty struggling workers then hold close to 6% of closed
accounts and an even spread of spending habits whatever the seed, so a scaled-down population gives
the same figures on every seed, not only on the one it was calibrated with.
"""

import random
import re
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TypeVar

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


_TOKEN = re.compile(r"pop-(\d+)-(\d{4})(\d{2})(\d{2})-(.+?)-(\d+)(?:-(\d+)of(\d+))?")
# The properties spread over a stratum, one slice of each per account. An event (closed, blocked,
# dormant, revoked) takes its day from the same number as whether it happens, so the days of the
# accounts it hits are spread over the horizon too.
_INCOME, _LASTS, _SAVINGS, _PAYDAY, _EWALLET, _INVALID, _CLOSED, _BLOCKED, _DORMANT, _REVOKED = range(10)
_PROPERTIES = 10
# A stratum's slices are kept in memory while its accounts charge: a token naming more accounts than
# this is not one of ours (it would make the bank hold a huge permutation).
STRATUM_MAX = 10_000
K = TypeVar("K", str, int, bool)


def profile(name: str) -> Profile:
    """A built-in profile, or a scenario's ``<scenario>:<profile>``; KeyError when unknown."""
    if name in PROFILES:
        return PROFILES[name]
    if ":" not in name:
        raise KeyError(name)
    # Imported here: scenarios are built on the simulator, not the other way round.
    from billing.simulation.scenario import bank_profile

    return bank_profile(name)


def population_token(seed: int, start: date, profile: str, stratum: int, at: tuple[int, int] = (0, 1)) -> str:
    """The token of account ``k`` of the ``n`` of ``stratum`` (``at`` = (k, n))."""
    k, n = at
    if not 0 <= k < n <= STRATUM_MAX:
        raise ValueError(f"account {k} of {n} (at most {STRATUM_MAX} in a stratum)")
    head = f"pop-{seed}-{start:%Y%m%d}-{profile}-{stratum}"
    return head if n == 1 else f"{head}-{k}of{n}"


@lru_cache(maxsize=256)
def _slices(stratum: str, n: int) -> "tuple[array[int], ...]":
    """Per property, the slice of its range each of the stratum's ``n`` accounts gets: a random
    permutation of the ``n`` slices, so each slice is taken once and properties pair at random."""
    r = random.Random(stratum)
    out = []
    for _ in range(_PROPERTIES):
        order = list(range(n))
        r.shuffle(order)
        out.append(array("I", order))
    return tuple(out)


def _spread(bounds: tuple[int, int], u: float) -> int:
    """The value at quantile ``u`` of a range of rupiah, in whole thousands."""
    low, high = bounds[0] // 1000, bounds[1] // 1000
    return (low + int(u * (high - low + 1))) * 1000


def _event_day(u: float, pct: int, start: date, horizon: int) -> date | None:
    """An event for the ``pct`` lowest quantiles, on a day as far into the horizon as ``u`` is into them."""
    if u * 100 >= pct:
        return None
    return start + timedelta(days=int(u * 100 / pct * horizon))


def build_account(seed: int, start: date, profile_name: str, stratum: int, at: tuple[int, int] = (0, 1)) -> AccountSpec:
    """The account behind one population token; KeyError for an unknown profile."""
    p = profile(profile_name)
    token = population_token(seed, start, profile_name, stratum, at)
    k, n = at
    slices = _slices(population_token(seed, start, profile_name, stratum), n)
    r = random.Random(token)  # seeding with a str is stable across processes and runs
    u = [(slices[prop][k] + r.random()) / n for prop in range(_PROPERTIES)]
    income = _spread(p.income, u[_INCOME])
    lasts = p.lasts_pct[0] + int(u[_LASTS] * (p.lasts_pct[1] - p.lasts_pct[0] + 1))
    spend = income * 100 // (lasts * CYCLE_DAYS[p.payday_kind])
    ewallet = u[_EWALLET] * 100 < p.ewallet_pct
    return AccountSpec(
        token=token,
        payday=Payday(p.payday_kind, p.payday_days[int(u[_PAYDAY] * len(p.payday_days))]),
        income=income,
        income_jitter_pct=p.income_jitter_pct,
        daily_spend=spend,
        savings=_spread(p.savings, u[_SAVINGS]),
        channel=Channel.ewallet if ewallet else Channel.bank,
        per_charge_limit=p.ewallet_limit if ewallet else None,
        invalid=u[_INVALID] * 100 < p.invalid_pct,
        closed_on=_event_day(u[_CLOSED], p.closed_pct, start, p.horizon_days),
        blocked_on=_event_day(u[_BLOCKED], p.blocked_pct, start, p.horizon_days),
        dormant_on=_event_day(u[_DORMANT], p.dormant_pct, start, p.horizon_days),
        mandate_revoked_on=_event_day(u[_REVOKED], p.revoked_pct, start, p.horizon_days),
    )


def parse_population_token(token: str) -> AccountSpec | None:
    """The account a population token names, or None when it is not one."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    seed, year, month, day, name, stratum, k, n = match.groups()
    at = (int(k), int(n)) if n is not None else (0, 1)
    try:
        return build_account(int(seed), date(int(year), int(month), int(day)), name, int(stratum), at)
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
        """``n`` accounts, profiles in proportion to ``mix`` (weights by profile name), in a seeded order;
        the accounts of a profile are one stratum, spread over its ranges."""
        if seed < 0 or n < 0:
            raise ValueError("seed and n must not be negative")
        weights = dict(mix or DEFAULT_MIX)
        if unknown := {name for name in weights if not _known(name)}:
            raise ValueError(f"unknown profiles: {', '.join(sorted(unknown))}; known: {', '.join(PROFILES)}")
        if sum(weights.values()) <= 0 or min(weights.values()) < 0:
            raise ValueError("profile weights must be non-negative and not all zero")
        counts = quotas(weights, n)
        places = [(name, k) for name in sorted(counts) for k in range(counts[name])]
        random.Random(seed).shuffle(places)
        accounts = tuple(build_account(seed, start, name, *place(k, counts[name])) for name, k in places)
        return cls(seed, start, accounts)


def quotas(weights: Mapping[K, int], n: int, ties: Sequence[K] = ()) -> dict[K, int]:
    """``n`` shared in proportion to ``weights`` by largest remainder: the counts add up to ``n`` exactly
    and follow the weights as closely as whole numbers can. Equal remainders go first to the keys in
    ``ties`` order, then to the smallest key."""
    total = sum(weights.values())
    exact = {key: n * w / total for key, w in weights.items()}
    counts = {key: int(x) for key, x in exact.items()}
    first = {key: i for i, key in enumerate(ties)}
    by_remainder = sorted(weights, key=lambda key: (counts[key] - exact[key], first.get(key, len(first)), key))
    for key in by_remainder[: n - sum(counts.values())]:
        counts[key] += 1
    return counts


def place(k: int, count: int) -> tuple[int, tuple[int, int]]:
    """Account ``k`` of ``count`` alike: which of their strata (``STRATUM_MAX`` accounts each) it is in,
    and its place there."""
    stratum, first = divmod(k, STRATUM_MAX)
    return stratum, (first, min(STRATUM_MAX, count - stratum * STRATUM_MAX))
