"""The managers' dashboard's figures on a dataset counted by hand (tests/reports/small_province.py), on
both backends: the province, its regencies (the drill-down), the country and one regency."""

from decimal import Decimal

import pytest

from billing.errors import InvalidInput, NotFound
from billing.reports import dashboard
from tests.reports import small_province as small


def test_a_province_and_its_regencies(engine) -> None:  # type: ignore[no-untyped-def]
    small.seed(engine)
    view = dashboard.build(engine, "19", small.FIRST, small.LAST, small.TODAY)

    own = view.own
    assert (own.region.code, own.region.name) == ("19", "Kepulauan Bangka Belitung")
    # End of March: P1 P3 P5 P7 active, P2 in arrears; 4 of the province's own 20 potential workers.
    assert own.last.month == "2024-03" and view.opening_month == "2024-01"
    assert (own.last.active, own.last.in_arrears, own.last.potential_workers) == (4, 1, 20)
    assert own.last.coverage_pct == Decimal("20.00") and own.last.target_pct == Decimal("55.00")
    assert own.last.gap_pct == Decimal("35.00") and own.last.gap_participants == 11 - 4  # 55% of 20 = 11
    assert own.trend_pp == Decimal("0.00")  # end of February: P1 P3 P4 P7, also 4
    # Opening (end of January): P1 P2 P4; in: P3 P7 P5; out of active: P2 (arrears), P4 (cancelled).
    assert (own.churn.opening, own.churn.closing, own.churn.ins, own.churn.lapses) == (3, 4, 3, 2)
    assert own.change == 1 and own.change_pct == Decimal("33.33")

    # The drill-down: every regency of the province, in code order, Jambi's 15.04 not among them.
    codes = [p.region.code for p in view.parts]
    assert codes == sorted(codes) and {"19.01", "19.71"} <= set(codes)
    assert all(c.startswith("19.") for c in codes)
    by = {p.region.code: p for p in view.parts}
    city, bangka = by["19.71"], by["19.01"]
    assert city.region.name == "Kota Pangkal Pinang"
    assert (city.last.active, city.last.potential_workers, city.last.coverage_pct) == (2, 10, Decimal("20.00"))
    assert (city.last.target_pct, city.last.gap_pct, city.last.gap_participants) == (
        Decimal("52.00"),
        Decimal("32.00"),
        3,  # 52% of 10 = 5.2, rounded to 5 participants, 2 active
    )
    assert (city.churn.opening, city.churn.closing, city.churn.ins, city.churn.lapses, city.change) == (2, 2, 1, 1, 0)
    assert (bangka.last.active, bangka.last.potential_workers, bangka.last.coverage_pct) == (2, 8, Decimal("25.00"))
    assert (bangka.last.target_pct, bangka.last.gap_participants) == (Decimal("50.00"), 2)
    assert (bangka.churn.opening, bangka.churn.closing, bangka.churn.ins, bangka.churn.lapses) == (1, 2, 2, 1)
    assert bangka.change_pct == Decimal("100.00")
    quiet = next(p for c, p in by.items() if c not in ("19.01", "19.71"))
    assert (quiet.last.active, quiet.last.potential_workers, quiet.last.coverage_pct) == (0, None, None)
    assert quiet.change == 0
    # The parts add up to the province.
    assert sum(p.last.active for p in view.parts) == own.last.active
    assert sum(p.change for p in view.parts) == own.change


def test_the_country_and_one_regency(engine) -> None:  # type: ignore[no-untyped-def]
    small.seed(engine)
    country = dashboard.build(engine, None, small.FIRST, small.LAST, small.TODAY)
    assert country.own.region.level == 0 and country.own.last.active == 5
    assert (country.own.churn.opening, country.own.churn.closing) == (4, 5)
    by = {p.region.code: p for p in country.parts}
    assert all(p.region.level == 1 for p in country.parts)
    assert by["19"].last.active == 4 and by["19"].last.coverage_pct == Decimal("20.00")
    assert by["15"].last.active == 1 and by["15"].last.coverage_pct is None  # Jambi has no workforce figure

    city = dashboard.build(engine, "19.71", small.FIRST, small.LAST, small.TODAY)
    assert city.parts == [] and city.own.last.active == 2 and city.own.change == 0


def test_bad_requests(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        dashboard.build(engine, "99", small.FIRST, small.LAST, small.TODAY)
    with pytest.raises(InvalidInput):
        dashboard.build(engine, "19", "2024-13", small.LAST, small.TODAY)
    with pytest.raises(InvalidInput):
        dashboard.build(engine, "19", "2024-03", "2024-02", small.TODAY)
