"""SNAP's wire format: JSON bodies signed in their minified form, amounts as strings with two decimals
(``{"value": "16800.00", "currency": "IDR"}``), timestamps in ISO 8601 with the +07:00 offset (WIB),
and a fresh ``X-EXTERNAL-ID`` per request (unique per partner and day). Our amounts are whole rupiah
and are converted here, at the boundary."""

import json
import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

WIB = timezone(timedelta(hours=7), "WIB")
_VALUE = re.compile(r"(\d{1,16})\.(\d{2})")


def minify(body: Mapping[str, Any]) -> bytes:
    """The body as sent and as signed: no whitespace between tokens, keys in their given order."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def timestamp(now: datetime | None = None) -> str:
    """``2026-01-20T10:00:00+07:00``: the request's time in WIB, to the second."""
    moment = now if now is not None else datetime.now(WIB)
    return moment.astimezone(WIB).isoformat(timespec="seconds")


def parse_timestamp(value: str) -> datetime:
    """ValueError unless ``value`` is an ISO 8601 time with an offset (SNAP's ``X-TIMESTAMP``)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no offset")
    return moment


def day_of(value: str | None) -> date | None:
    """The WIB day of a SNAP time (``paidTime``), or None when missing or unreadable."""
    if not value:
        return None
    try:
        return parse_timestamp(value).astimezone(WIB).date()
    except ValueError:
        return None


def external_id() -> str:
    """A numeric ``X-EXTERNAL-ID`` (32 digits): random, so unique per day without keeping a counter."""
    return f"{secrets.randbelow(10**32):032d}"


def amount(rupiah: int, currency: str = "IDR") -> dict[str, str]:
    return {"value": f"{rupiah}.00", "currency": currency.upper()}


def rupiah(obj: Any) -> tuple[int, str]:
    """Whole rupiah and the currency of a SNAP amount object; ValueError for anything else (a
    fraction of a rupiah is never ours)."""
    if not isinstance(obj, Mapping):
        raise ValueError("amount must be an object with value and currency")
    value, currency = obj.get("value"), obj.get("currency")
    m = _VALUE.fullmatch(value) if isinstance(value, str) else None
    if m is None or not isinstance(currency, str) or len(currency) != 3:
        raise ValueError(f"amount {obj!r} is not {{'value': '16800.00', 'currency': 'IDR'}}")
    if m.group(2) != "00":
        raise ValueError(f"amount {value} is not whole rupiah")
    return int(m.group(1)), currency.upper()
