"""Chart axes: a share (cohort retention) is drawn on an axis that ends at 100%."""

import re
from decimal import Decimal

from billing.reports import charts


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r">([^<]*%)</text>", svg)


def test_a_share_never_gets_an_axis_above_100() -> None:
    full = [Decimal(100), Decimal(100), Decimal("87.5")]
    svg = str(charts.lines("Retensi kohort / Cohort retention", ["0", "1", "2"], [("2024-01", full)], ceiling=100))
    assert _axis_labels(svg) == ["0%", "25%", "50%", "75%", "100%"]
    # Without the ceiling a round top above the highest value would be chosen: 120%.
    assert _axis_labels(str(charts.lines("t", ["0", "1", "2"], [("2024-01", full)])))[-1] == "120%"
