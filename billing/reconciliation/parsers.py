"""Reading a settlement file: the format from its header (or as told), every line checked before
anything is written, every bad line named at once.

**Stripe** (the itemized CSVs of the Balance and Payout reconciliation reports, report types
``balance_change_from_activity.itemized.*`` and ``payout_reconciliation.itemized.*``): Stripe's own
column names. Its CSV reports give money in the currency's *major* unit as a decimal ("16800.00" is
Rp 16,800), unlike its API, which takes IDR in a two-decimal minor unit (``amount=1680000``); IDR is
not one of Stripe's zero-decimal currencies. Rupiah have no cents here, so any fraction is refused.

**Bank**: ``reference``, ``amount`` (whole rupiah), ``date`` and ``status``; other columns are ignored."""

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from billing.errors import InvalidInput
from billing.fields import FIRST_DATE, LAST_DATE
from billing.reconciliation.models import SettlementFormat

STRIPE_REQUIRED = ("balance_transaction_id", "currency", "gross", "reporting_category")
STRIPE_CREATED = ("created_utc", "created")  # one of them: when the charge happened
BANK_REQUIRED = ("reference", "amount", "date", "status")
# The metadata our Stripe adapter puts on every charge, as the report names the column.
STRIPE_KEY_COLUMN = "payment_metadata[idempotency_key]"
STRIPE_CHARGE = "charge"  # the reporting_category of money taken from a payer
# A bank's words for a line's status: whether money arrived. Any other word is refused, not guessed.
BANK_STATUSES = {
    "settled": True,
    "success": True,
    "succeeded": True,
    "paid": True,
    "berhasil": True,
    "sukses": True,
    "failed": False,
    "gagal": False,
    "rejected": False,
    "ditolak": False,
    "reversed": False,
    "returned": False,
    "pending": False,
}
SHOWN_ERRORS = 50  # bad lines named in one answer; the count is always complete
_AMOUNT = re.compile(r"-?\d{1,13}(?:\.\d{1,2})?")
_DAY_FIRST = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")


class SettlementLine(NamedTuple):
    """A NamedTuple rather than a frozen dataclass: built for every line, several times cheaper."""

    line_no: int
    line_key: str  # unique per gateway: the same line in two files is stored once
    reference: str | None
    idempotency_key: str | None
    category: str
    counted: bool  # money taken from a payer: reconciled against our receipts
    amount: int  # whole rupiah
    fee: int | None
    net: int | None
    day: date


@dataclass(frozen=True)
class SettlementFile:
    format: SettlementFormat
    lines: list[SettlementLine]

    @property
    def first_day(self) -> date:
        return min(line.day for line in self.lines)

    @property
    def last_day(self) -> date:
        return max(line.day for line in self.lines)


class LineError(ValueError):
    def __init__(self, field: str, kind: str, message: str):
        super().__init__(message)
        self.field, self.kind = field, kind


def _invalid(detail: str, code: str, errors: list[dict[str, Any]] | None = None) -> InvalidInput:
    return InvalidInput(detail, code=code, errors=errors)


def rupiah(text: str, field: str, positive: bool = False) -> int:
    """Whole rupiah from "16800", "16800.00" or "-16800.00"; refused with a fraction or a separator."""
    value = text.strip()
    if not _AMOUNT.fullmatch(value):
        raise LineError(field, "bad_amount", f"jumlah tidak valid / bad amount: {value!r}")
    whole, _, cents = value.partition(".")
    if cents.strip("0"):
        raise LineError(field, "bad_amount", f"rupiah tanpa sen / rupiah have no cents: {value!r}")
    amount = int(whole)
    if positive and amount <= 0:
        raise LineError(field, "bad_amount", f"jumlah harus positif / the amount must be positive: {value!r}")
    return amount


def _bounded(day: date, field: str, text: str) -> date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise LineError(field, "bad_date", f"tanggal di luar {FIRST_DATE}..{LAST_DATE} / date out of range: {text!r}")
    return day


def local_day(text: str, field: str, tz: ZoneInfo) -> date:
    """The day, in the service's time zone, of a time that is UTC when it names no offset (``created_utc``)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LineError(field, "bad_date", f"tanggal tidak valid / bad date: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _bounded(moment.astimezone(tz).date(), field, text)


def plain_day(text: str, field: str) -> date:
    """A calendar day: 2026-03-05 (a time after it is ignored) or 05/03/2026 (day first, as in Indonesia)."""
    value = text.strip()
    try:
        if _DAY_FIRST.fullmatch(value):
            return _bounded(datetime.strptime(value, "%d/%m/%Y").date(), field, value)
        return _bounded(datetime.fromisoformat(value).date(), field, value)
    except ValueError:
        raise LineError(field, "bad_date", f"tanggal tidak valid / bad date: {value!r}") from None


def _text(row: dict[str, str], column: str, limit: int, required: bool = False) -> str | None:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            raise LineError(column, "missing", "kolom kosong / empty column")
        return None
    if len(value) > limit:
        raise LineError(column, "too_long", f"lebih dari {limit} karakter / longer than {limit} characters")
    return value


def _stripe_line(row: dict[str, str], line_no: int, tz: ZoneInfo, seen: Counter[str]) -> SettlementLine:
    currency = (row.get("currency") or "").strip().lower()
    if currency != "idr":
        raise LineError("currency", "bad_currency", f"hanya IDR / IDR only, not {currency!r}")
    if "created_utc" in row:
        day = local_day(row["created_utc"], "created_utc", tz)
    else:
        day = plain_day(row["created"], "created")  # the report's own time zone: run it in the service's
    category = _text(row, "reporting_category", 40, required=True) or ""
    fee, net = (row.get(c, "").strip() for c in ("fee", "net"))
    key = _text(row, "balance_transaction_id", 200, required=True) or ""
    seen[key] += 1
    if seen[key] > 1:
        raise LineError("balance_transaction_id", "duplicate", f"balance_transaction_id ganda / repeated: {key}")
    return SettlementLine(
        line_no=line_no,
        line_key=key,
        reference=_text(row, "payment_intent_id", 120) or _text(row, "charge_id", 120) or _text(row, "source_id", 120),
        idempotency_key=_text(row, STRIPE_KEY_COLUMN, 64),
        category=category,
        counted=category == STRIPE_CHARGE,
        amount=rupiah(row["gross"], "gross"),
        fee=rupiah(fee, "fee") if fee else None,
        net=rupiah(net, "net") if net else None,
        day=day,
    )


def _bank_line(row: dict[str, str], line_no: int, tz: ZoneInfo, seen: Counter[str]) -> SettlementLine:
    reference = _text(row, "reference", 120, required=True) or ""
    status = (row.get("status") or "").strip().lower()
    if status not in BANK_STATUSES:
        known = ", ".join(BANK_STATUSES)
        raise LineError("status", "bad_status", f"status tidak dikenal / unknown status {status!r} ({known})")
    day = plain_day(row["date"], "date")
    amount = rupiah(row["amount"], "amount", positive=True)
    # The same reference settled twice on one day is two lines, not one repeated.
    key = f"{day}:{status}:{reference}"
    seen[key] += 1
    return SettlementLine(
        line_no=line_no,
        line_key=f"{key}#{seen[key]}",
        reference=reference,
        idempotency_key=None,
        category=status,
        counted=BANK_STATUSES[status],
        amount=amount,
        fee=None,
        net=None,
        day=day,
    )


Parser = Callable[[dict[str, str], int, ZoneInfo, Counter[str]], SettlementLine]
PARSERS: dict[SettlementFormat, tuple[tuple[str, ...], Parser]] = {
    SettlementFormat.stripe: (STRIPE_REQUIRED, _stripe_line),
    SettlementFormat.bank: (BANK_REQUIRED, _bank_line),
}


def _missing(fmt: SettlementFormat, columns: list[str]) -> list[str]:
    missing = [c for c in PARSERS[fmt][0] if c not in columns]
    if fmt is SettlementFormat.stripe and not any(c in columns for c in STRIPE_CREATED):
        missing.append(" | ".join(STRIPE_CREATED))
    return missing


def detect(columns: list[str], told: SettlementFormat | None) -> SettlementFormat:
    """The format the header says (or the one asked for, if the header has its columns)."""
    for fmt in [told] if told else list(SettlementFormat):
        if not _missing(fmt, columns):
            return fmt
    expected = (
        f"{told}: {', '.join(_missing(told, columns))}"
        if told
        else "; ".join(f"{f}: {', '.join(PARSERS[f][0])}" for f in SettlementFormat)
    )
    raise _invalid(
        f"Kepala kolom tidak dikenali; kolom yang diperlukan {expected}. / "
        f"Unrecognised header; the columns needed are {expected}.",
        "settlement_header_invalid",
        [{"field": "header", "message": f"columns found: {', '.join(columns[:20])}", "type": "wrong_header"}],
    )


def _rows(text: str) -> Iterator[list[str]]:
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    # Spreadsheets set to Indonesian save with semicolons.
    delimiter = max(",;\t", key=first.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(
            "Berkas bukan teks UTF-8 (CSV). / The file is not UTF-8 text (CSV).", "settlement_not_text"
        ) from None
    if "\x00" in text:
        raise _invalid("Berkas berisi karakter NUL. / The file holds NUL characters.", "settlement_not_text")
    return text


def parse(data: bytes, tz: str, told: SettlementFormat | None = None) -> SettlementFile:
    """Every line or none: raises ``InvalidInput`` naming each bad line (up to ``SHOWN_ERRORS``)."""
    rows = _rows(decode(data))
    try:
        header = [c.strip().lower() for c in next(rows)]
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise _invalid(f"CSV rusak: {exc} / Broken CSV: {exc}", "settlement_header_invalid") from None
    twice = [c for c, n in Counter(header).items() if n > 1 and c]
    if twice:
        raise _invalid(
            f"Kolom ganda / Duplicate columns: {', '.join(twice)}",
            "settlement_header_invalid",
            [{"field": "header", "message": f"duplicate column {c}", "type": "wrong_header"} for c in twice],
        )
    fmt = detect(header, told)
    parse_line = PARSERS[fmt][1]
    zone = ZoneInfo(tz)
    lines: list[SettlementLine] = []
    errors: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    line_no = 1
    try:
        for line_no, cells in enumerate(rows, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                errors.append(
                    {
                        "line": line_no,
                        "field": None,
                        "message": f"{len(cells)} sel, kepala {len(header)} / {len(cells)} cells, header {len(header)}",
                        "type": "wrong_cells",
                    }
                )
                continue
            try:
                lines.append(parse_line(dict(zip(header, cells, strict=True)), line_no, zone, seen))
            except LineError as exc:
                errors.append({"line": line_no, "field": exc.field, "message": str(exc), "type": exc.kind})
    except csv.Error as exc:
        errors.append({"line": line_no, "field": None, "message": f"CSV rusak / broken CSV: {exc}", "type": "bad_csv"})
    if errors:
        raise _invalid(
            f"Berkas penyelesaian tidak valid ({len(errors)} baris salah); tidak ada yang diimpor. / "
            f"Invalid settlement file ({len(errors)} bad lines); nothing was imported.",
            "settlement_lines_invalid",
            errors[:SHOWN_ERRORS],
        )
    if not lines:
        raise _invalid("Berkas tidak berisi baris. / The file has no lines.", "settlement_empty")
    return SettlementFile(fmt, lines)
