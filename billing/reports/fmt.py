"""Numbers, percentages and months as a reader expects them: "1.234" and "10,97%" in Indonesian,
"1,234" and "10.97%" in English (Babel's CLDR data)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LANGS = ("id", "en")


def percent(part: int, whole: int, places: int = 2) -> Decimal | None:
    """``part`` of ``whole`` in percent, rounded half up; None when there is no whole."""
    if whole == 0:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(value) if value == 0 else value  # no "-0.0"


def num(value: int, lang: str) -> str:
    return format_decimal(value, locale=lang)


def dec(value: Decimal, lang: str) -> str:
    """As many decimals as ``value`` carries: 10.97 → "10,97" (id)."""
    places = max(0, -int(value.as_tuple().exponent))
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=lang)


def pct(value: Decimal | None, lang: str) -> str:
    return "–" if value is None else dec(value, lang) + "%"


def month_name(month: date, lang: str, year: bool = True) -> str:
    return format_date(month, "LLLL yyyy" if year else "LLLL", locale=lang)


def month_range(first: date, last: date, lang: str) -> str:
    """ "Januari–Juni 2024", "Desember 2023–Juni 2024", or one month."""
    if first == last:
        return month_name(last, lang)
    if first.year == last.year:
        return f"{month_name(first, lang, year=False)}–{month_name(last, lang)}"
    return f"{month_name(first, lang)}–{month_name(last, lang)}"


def ym(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
