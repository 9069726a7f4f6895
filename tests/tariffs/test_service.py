from datetime import date

import pytest

from billing.db import unit_of_work
from billing.errors import InvalidInput
from billing.participants.models import SectorCategory as Cat
from billing.sponsors.models import Payer
from billing.tariffs.service import load_tariff, quote
from billing.tariffs.tariff import share

OTHER = "PP 50/2025 sektor lain"
TRANSPORT = "PP 50/2025 transportasi"

# (declared income, JHT, category, period, payer) → total, hand-computed:
# JKK 1% of the Rp 1,000,000 insured wage = 10,000; JKM 6,800; JHT 2% of 1,000,000 = 20,000;
# PP 50/2025 halves JKK and JKM (5,000 + 3,400 = 8,400) but never JHT.
CASES = [
    pytest.param(1_000_000, False, Cat.perdagangan, date(2024, 6, 1), Payer.self, 16_800, id="base"),
    pytest.param(1_000_000, True, Cat.perdagangan, date(2024, 6, 1), Payer.self, 36_800, id="base+jht"),
    pytest.param(1_000_000, False, Cat.perdagangan, date(2026, 5, 1), Payer.self, 8_400, id="trader-discount"),
    pytest.param(1_000_000, False, Cat.perdagangan, date(2026, 5, 1), Payer.sponsor_apbd, 16_800, id="apbd-no-disc"),
    pytest.param(1_000_000, False, Cat.perdagangan, date(2026, 5, 1), Payer.sponsor_csr, 8_400, id="csr-discount"),
    pytest.param(1_000_000, True, Cat.perdagangan, date(2026, 5, 1), Payer.self, 28_400, id="jht-not-discounted"),
    pytest.param(1_000_000, False, Cat.transport, date(2027, 2, 1), Payer.self, 8_400, id="transport-2027-02"),
    pytest.param(1_000_000, False, Cat.perdagangan, date(2027, 2, 1), Payer.self, 16_800, id="trader-2027-02"),
    pytest.param(1_000_000, False, Cat.transport, date(2025, 12, 1), Payer.self, 16_800, id="transport-2025-12"),
    pytest.param(1_000_000, False, Cat.pertanian, date(2026, 3, 1), Payer.self, 16_800, id="farmer-2026-03"),
    pytest.param(1_000_000, False, Cat.transport, date(2026, 3, 1), Payer.self, 8_400, id="transport-2026-03"),
    pytest.param(1_000_000, False, Cat.pertanian, date(2026, 12, 1), Payer.self, 8_400, id="farmer-2026-12"),
    pytest.param(1_000_000, False, Cat.pertanian, date(2027, 1, 1), Payer.self, 16_800, id="farmer-2027-01"),
    pytest.param(1_000_000, False, Cat.transport, date(2027, 4, 1), Payer.self, 16_800, id="transport-2027-04"),
]


@pytest.mark.parametrize(("income", "jht", "cat", "period", "payer", "total"), CASES)
def test_quote_totals(engine, income, jht, cat, period, payer, total) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        q = quote(s, declared_income=income, jht=jht, sector_category=cat, period=period, payer=payer)
    assert q.total == total
    assert q.total == sum(line.amount for line in q.lines)


def test_quote_lines_in_a_discount_month(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        q = quote(
            s,
            declared_income=1_000_000,
            jht=True,
            sector_category=Cat.perdagangan,
            period=date(2026, 5, 20),
            payer=Payer.self,
        )
    assert q.period == date(2026, 5, 1)
    assert [(li.program, li.base_amount, li.discount_amount, li.amount, li.discount_rule) for li in q.lines] == [
        ("JKK", 10_000, 5_000, 5_000, OTHER),
        ("JKM", 6_800, 3_400, 3_400, OTHER),
        ("JHT", 20_000, 0, 20_000, None),
    ]


def test_transport_gets_only_its_own_rule(engine) -> None:  # type: ignore[no-untyped-def]
    # May 2026 lies in both windows; the transport worker must get the transport rule once, not both.
    with unit_of_work(engine) as s:
        q = quote(
            s,
            declared_income=1_000_000,
            jht=False,
            sector_category=Cat.transport,
            period=date(2026, 5, 1),
            payer=Payer.self,
        )
    assert [(li.discount_amount, li.discount_rule) for li in q.lines] == [(5_000, TRANSPORT), (3_400, TRANSPORT)]
    assert q.total == 8_400


def test_brackets_and_rounding(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        tariff = load_tariff(s, date(2024, 6, 1))
    # Rp 1,000,001 falls in the next bracket: insured Rp 1,500,000 → JKK 15,000.
    q = tariff.quote(1_000_001, True, Cat.jasa, Payer.self)
    assert (q.insured_wage, q.lines[0].amount) == (1_500_000, 15_000)
    assert q.lines[2].amount == 20_000  # 2% of 1,000,001 = 20,000.02
    # JHT on declared income, half up: 2% of 1,234,567 = 24,691.34; of 1,234,575 = 24,691.5 → 24,692.
    assert tariff.quote(1_234_567, True, Cat.jasa, Payer.self).lines[2].amount == 24_691
    assert tariff.quote(1_234_575, True, Cat.jasa, Payer.self).lines[2].amount == 24_692
    # Above the top step the insured wage stays at the top bracket.
    assert tariff.quote(50_000_000, False, Cat.jasa, Payer.self).insured_wage == 20_000_000


def test_no_tariff_before_pp_44_2015(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc, unit_of_work(engine) as s:
        load_tariff(s, date(2010, 1, 1))
    assert exc.value.code == "tariff_not_in_force"
    assert exc.value.errors and exc.value.errors[0]["field"] == "period"


@pytest.mark.parametrize(
    ("amount", "num", "den", "expected"),
    [(3_401, 50, 100, 1_701), (3_399, 50, 100, 1_700), (6_800, 50, 100, 3_400), (1_234_575, 200, 10_000, 24_692)],
)
def test_share_rounds_half_up(amount: int, num: int, den: int, expected: int) -> None:
    assert share(amount, num, den) == expected
