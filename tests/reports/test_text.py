"""Labels and number formats of the report texts (no database)."""

from datetime import date
from decimal import Decimal

from billing.gateways.failures import FailureCode
from billing.reports.fmt import month_range, num, pct, percent
from billing.reports.labels import CAUSES


def test_every_failure_code_has_a_cause_label_in_both_languages() -> None:
    for code in FailureCode:
        label_id, label_en = CAUSES[code.value]
        assert label_id and label_en and label_id != label_en
    assert {"sponsor_stopped", "no_payment", "voluntary", "unknown"} <= set(CAUSES)


def test_numbers_and_months_read_as_in_each_language() -> None:
    assert (num(1234567, "id"), num(1234567, "en")) == ("1.234.567", "1,234,567")
    assert percent(-34, 310) == Decimal("-10.97")
    assert percent(1, 8, places=1) == Decimal("12.5") and percent(1, 3, places=1) == Decimal("33.3")
    assert str(percent(0, -36, places=1)) == "0.0"  # never "-0.0"
    assert percent(5, 0) is None
    assert (pct(Decimal("10.97"), "id"), pct(Decimal("10.97"), "en"), pct(None, "id")) == ("10,97%", "10.97%", "–")
    assert month_range(date(2024, 1, 1), date(2024, 6, 1), "id") == "Januari–Juni 2024"
    assert month_range(date(2023, 12, 1), date(2024, 6, 1), "en") == "December 2023–June 2024"
    assert month_range(date(2024, 8, 1), date(2024, 8, 1), "id") == "Agustus 2024"


def test_csv_cells_never_run_as_spreadsheet_formulas() -> None:
    from billing.reports.render import to_csv
    from billing.reports.schemas import Bilingual, CoverageMonthOut, CoverageRegion, CoverageReport, RegionRef

    month = CoverageMonthOut(
        month="2024-06",
        participants=1,
        active=1,
        in_arrears=0,
        potential_workers=None,
        coverage_pct=None,
        target_pct=None,
        gap_pct=Decimal("-1.50"),
        gap_participants=-3,
    )
    region = RegionRef(code="19.71", name='=HYPERLINK("http://x")', level=2)
    report = CoverageReport(
        region=region,
        first_month="2024-06",
        last_month="2024-06",
        as_of=date(2024, 6, 30),
        regions=[CoverageRegion(region=region, months=[month], trend_pp=None)],
        explanation=Bilingual(id="", en=""),
    )
    row = to_csv(report).splitlines()[1]
    assert row == """19.71,"'=HYPERLINK(""http://x"")",2024-06,1,1,0,,,,-1.50,-3"""
