"""A notice's SMS/WhatsApp text, Indonesian first, then " / " English. It is rendered from the params
stored with the notice when it was written, so it tells what was true then:

- ``debit_upcoming``: amount, period, debit_on, account (the mandate's display, e.g. "BRI ••••1234");
- ``debit_failed``: code, amount, period, next_try (null when no retry is scheduled);
- ``coverage_at_risk``: unpaid_from (the first unpaid month; older notices: last_paid), through (the latest
  month already due), arrears_months;
- ``coverage_ended``: cause, last_paid (null if never paid), arrears_months;
- ``sponsor_stopped``: sponsor (its name), period (the first month the worker pays), amount (that month's).
- ``debit_day_moved``: old_day, new_day, account.
- ``payment_reminder``: period, amount (what the month still owes), account (the mandate's display, or
  null without one), pay_by (the last day the arrears may be paid; null when not known).
- ``cash_received``: number (the receipt's), amount, first and last (the months paid), agent (their name).

Dates are ISO strings in the params."""

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from billing.gateways.failures import notice_text
from billing.notices.models import NoticeKind
from billing.timeutil import add_months

ID, EN = "id", "en"
Params = Mapping[str, Any]


def rupiah(amount: int, locale: str) -> str:
    """Rp16.800 in Indonesian, Rp16,800 in English: whole rupiah, no decimals."""
    return "Rp" + format_decimal(amount, locale=locale)


def day(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=locale)


def month(value: date, locale: str) -> str:
    return format_date(value, format="MMMM y", locale=locale)


def _optional_date(params: Params, key: str) -> date | None:
    value = params.get(key)
    return None if value is None else date.fromisoformat(str(value)[:10])


def _date(params: Params, key: str) -> date:
    value = _optional_date(params, key)
    if value is None:
        raise ValueError(f"notice params lack {key!r}")
    return value


def _months(first: date, last: date, locale: str) -> str:
    if first == last:
        return month(first, locale)
    joiner = " s.d. " if locale == ID else " to "
    return month(first, locale) + joiner + month(last, locale)


def debit_upcoming(p: Params) -> str:
    period, on, account, amount = _date(p, "period"), _date(p, "debit_on"), p["account"], p["amount"]
    return (
        f"Iuran BPJS Ketenagakerjaan {month(period, ID)} sebesar {rupiah(amount, ID)} akan ditarik dari {account} "
        f"pada {day(on, ID)}. Pastikan saldo cukup. / Your BPJS Ketenagakerjaan contribution for "
        f"{month(period, EN)}, {rupiah(amount, EN)}, will be debited from {account} on {day(on, EN)}. "
        "Please keep enough balance."
    )


def debit_failed(p: Params) -> str:
    period, amount = _date(p, "period"), p["amount"]
    # notice_text says what happened and what to do as "Indonesian / English": each half goes to its side.
    what_id, _, what_en = notice_text(p["code"], _optional_date(p, "next_try")).partition(" / ")
    return (
        f"Penarikan iuran BPJS Ketenagakerjaan {month(period, ID)} sebesar {rupiah(amount, ID)} gagal. {what_id} / "
        f"The debit of your BPJS Ketenagakerjaan contribution for {month(period, EN)}, {rupiah(amount, EN)}, "
        f"failed. {what_en}"
    )


def pay_by(last_paid: date, arrears_months: int) -> date:
    """Arrears can be paid until the end of the ``arrears_months``-th month after the last covered one."""
    return add_months(last_paid, arrears_months + 1) - timedelta(days=1)


def coverage_at_risk(p: Params) -> str:
    # The first unpaid month (notices written before it was recorded name only the last paid one; a
    # member who never paid a month of this membership has no last paid one).
    through = _date(p, "through")
    first = _optional_date(p, "unpaid_from") or add_months(_date(p, "last_paid"), 1)
    deadline = pay_by(add_months(first, -1), int(p["arrears_months"]))
    return (
        f"Iuran BPJS Ketenagakerjaan belum dibayar: {_months(first, through, ID)}. Bayar paling lambat "
        f"{day(deadline, ID)} agar kepesertaan Anda tidak berakhir. / BPJS Ketenagakerjaan contribution unpaid: "
        f"{_months(first, through, EN)}. Pay by {day(deadline, EN)} to keep your membership."
    )


def coverage_ended(p: Params) -> str:
    last_paid = _optional_date(p, "last_paid")
    if p.get("cause") == "sponsor_stopped":
        why_id, why_en = "pemberi bantuan iuran berhenti membayar", "your sponsor stopped paying"
    else:
        n = int(p["arrears_months"])
        why_id, why_en = f"iuran tidak dibayar lebih dari {n} bulan", f"contributions were unpaid for over {n} months"
    last_id = f" (terakhir dibayar: {month(last_paid, ID)})" if last_paid else ""
    last_en = f" (last paid: {month(last_paid, EN)})" if last_paid else ""
    return (
        f"Kepesertaan BPJS Ketenagakerjaan Anda berakhir: {why_id}{last_id}. Membayar lagi berarti "
        f"pendaftaran baru. / Your BPJS Ketenagakerjaan membership has ended: {why_en}{last_en}. "
        "Paying again means registering anew."
    )


def sponsor_stopped(p: Params) -> str:
    period, amount, sponsor = _date(p, "period"), p["amount"], p["sponsor"]
    return (
        f"{sponsor} berhenti membayar iuran BPJS Ketenagakerjaan Anda. Mulai {month(period, ID)} iuran Anda "
        f"{rupiah(amount, ID)} per bulan dibayar sendiri. Daftarkan rekening atau e-wallet untuk penarikan "
        "otomatis lewat agen Perisai atau kantor cabang, atau bayar di sana. / "
        f"{sponsor} stopped paying your BPJS Ketenagakerjaan contributions. From {month(period, EN)} you pay "
        f"{rupiah(amount, EN)} a month yourself. Register a bank account or e-wallet for auto-debit with a "
        "Perisai agent or at a branch office, or pay there."
    )


def debit_day_moved(p: Params) -> str:
    old, new, account = int(p["old_day"]), int(p["new_day"]), p["account"]
    return (
        f"Iuran BPJS Ketenagakerjaan jatuh tempo tanggal 15 setiap bulan, jadi tanggal debit dari {account} "
        f"dipindah dari tanggal {old} ke tanggal {new}. / BPJS Ketenagakerjaan contributions are due on the "
        f"15th of each month, so the debit from {account} moves from day {old} to day {new}."
    )


def payment_reminder(p: Params) -> str:
    period, amount, account = _date(p, "period"), p["amount"], p.get("account")
    deadline = _optional_date(p, "pay_by")
    how_id = f"pastikan saldo {account} cukup untuk penarikan berikutnya, atau " if account else ""
    how_en = f"keep enough balance in {account} for the next debit, or " if account else ""
    end_id = f" Bayar paling lambat {day(deadline, ID)} agar kepesertaan Anda tidak berakhir." if deadline else ""
    end_en = f" Pay by {day(deadline, EN)} to keep your membership." if deadline else ""
    return (
        f"Pengingat: iuran BPJS Ketenagakerjaan {month(period, ID)} sebesar {rupiah(amount, ID)} belum dibayar. "
        f"Mohon {how_id}bayar lewat agen Perisai atau kantor cabang.{end_id} / Reminder: your BPJS "
        f"Ketenagakerjaan contribution for {month(period, EN)}, {rupiah(amount, EN)}, is unpaid. Please "
        f"{how_en}pay through a Perisai agent or at a branch office.{end_en}"
    )


def cash_received(p: Params) -> str:
    number, amount, agent = p["number"], p["amount"], p["agent"]
    first, last = _date(p, "first"), _date(p, "last")
    return (
        f"Iuran BPJS Ketenagakerjaan {_months(first, last, ID)} sebesar {rupiah(amount, ID)} diterima tunai oleh "
        f"agen Perisai {agent}. Kuitansi {number}. Simpan pesan ini. / Your BPJS Ketenagakerjaan contribution for "
        f"{_months(first, last, EN)}, {rupiah(amount, EN)}, was received in cash by Perisai agent {agent}. "
        f"Receipt {number}. Keep this message."
    )


RENDERERS: dict[NoticeKind, Callable[[Params], str]] = {
    NoticeKind.debit_upcoming: debit_upcoming,
    NoticeKind.debit_failed: debit_failed,
    NoticeKind.coverage_at_risk: coverage_at_risk,
    NoticeKind.coverage_ended: coverage_ended,
    NoticeKind.sponsor_stopped: sponsor_stopped,
    NoticeKind.debit_day_moved: debit_day_moved,
    NoticeKind.payment_reminder: payment_reminder,
    NoticeKind.cash_received: cash_received,
}


def render(kind: NoticeKind | str, params: Params) -> str:
    """The text of a notice; KeyError/ValueError when its params lack what the kind needs."""
    return RENDERERS[NoticeKind(kind)](params)
