"""Each notice kind in Indonesian first, then English, with the figures written out by hand."""

import pytest

from billing.gateways.failures import FailureCode
from billing.notices.models import NoticeKind
from billing.notices.texts import render


def test_debit_upcoming() -> None:
    params = {"amount": 16800, "period": "2024-06-01", "debit_on": "2024-06-05", "account": "BRI ••••1234"}
    assert render(NoticeKind.debit_upcoming, params) == (
        "Iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800 akan ditarik dari BRI ••••1234 pada 5 Juni 2024. "
        "Pastikan saldo cukup. / Your BPJS Ketenagakerjaan contribution for June 2024, Rp16,800, will be debited "
        "from BRI ••••1234 on June 5, 2024. Please keep enough balance."
    )


def test_amounts_group_thousands_per_language() -> None:
    params = {"amount": 1_234_567, "period": "2026-12-01", "debit_on": "2026-12-28", "account": "DANA ••••0001"}
    text = render("debit_upcoming", params)
    assert "Desember 2026 sebesar Rp1.234.567 akan ditarik dari DANA ••••0001 pada 28 Desember 2026." in text
    assert "December 2026, Rp1,234,567, will be debited from DANA ••••0001 on December 28, 2026." in text


def test_debit_failed_with_a_retry_date() -> None:
    params = {"code": "insufficient_funds", "amount": 16800, "period": "2024-06-01", "next_try": "2024-06-14"}
    assert render(NoticeKind.debit_failed, params) == (
        "Penarikan iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800 gagal. Saldo tidak cukup. Isi saldo "
        "sebelum tanggal 14 Juni 2024 agar iuran dapat ditarik. / The debit of your BPJS Ketenagakerjaan "
        "contribution for June 2024, Rp16,800, failed. Insufficient balance. Top up before June 14, 2024 so the "
        "contribution can be collected."
    )


def test_debit_failed_without_a_retry() -> None:
    params = {"code": "account_closed", "amount": 8400, "period": "2026-05-01", "next_try": None}
    assert render(NoticeKind.debit_failed, params) == (
        "Penarikan iuran BPJS Ketenagakerjaan Mei 2026 sebesar Rp8.400 gagal. Rekening sudah ditutup. Daftarkan "
        "rekening lain untuk penarikan otomatis. / The debit of your BPJS Ketenagakerjaan contribution for May 2026, "
        "Rp8,400, failed. The account is closed. Register another account for auto-debit."
    )


@pytest.mark.parametrize("code", list(FailureCode))
def test_every_failure_code_keeps_indonesian_first(code: FailureCode) -> None:
    params = {"code": code.value, "amount": 36800, "period": "2024-06-01", "next_try": "2024-06-25"}
    text = render(NoticeKind.debit_failed, params)
    indonesian, english = text.split(" / ")  # exactly one separator: each half is one language
    assert indonesian.startswith("Penarikan iuran") and "Rp36.800" in indonesian and "Juni 2024" in indonesian
    assert english.startswith("The debit") and "Rp36,800" in english and "June 2024" in english
    assert len(text) <= 480  # three concatenated SMS segments at most


def test_coverage_at_risk_one_month() -> None:
    params = {"last_paid": "2024-05-01", "through": "2024-06-01", "arrears_months": 3, "cause": "insufficient_funds"}
    assert render(NoticeKind.coverage_at_risk, params) == (
        "Iuran BPJS Ketenagakerjaan belum dibayar: Juni 2024. Bayar paling lambat 31 Agustus 2024 agar kepesertaan "
        "Anda tidak berakhir. / BPJS Ketenagakerjaan contribution unpaid: June 2024. Pay by August 31, 2024 to "
        "keep your membership."
    )


def test_coverage_at_risk_several_months_across_a_year_with_a_shorter_policy() -> None:
    # Last paid November 2024; with 2 arrears months the deadline is the end of January 2025.
    params = {"last_paid": "2024-11-01", "through": "2025-01-01", "arrears_months": 2, "cause": "no_payment"}
    assert render(NoticeKind.coverage_at_risk, params) == (
        "Iuran BPJS Ketenagakerjaan belum dibayar: Desember 2024 s.d. Januari 2025. Bayar paling lambat "
        "31 Januari 2025 agar kepesertaan Anda tidak berakhir. / BPJS Ketenagakerjaan contribution unpaid: "
        "December 2024 to January 2025. Pay by January 31, 2025 to keep your membership."
    )


def test_coverage_at_risk_deadline_in_february() -> None:
    params = {"last_paid": "2023-11-01", "through": "2023-12-01", "arrears_months": 3, "cause": None}
    assert "Bayar paling lambat 29 Februari 2024 agar" in render(NoticeKind.coverage_at_risk, params)


def test_coverage_ended_after_arrears() -> None:
    params = {"last_paid": "2024-05-01", "through": "2024-09-01", "arrears_months": 3, "cause": "insufficient_funds"}
    assert render(NoticeKind.coverage_ended, params) == (
        "Kepesertaan BPJS Ketenagakerjaan Anda berakhir: iuran tidak dibayar lebih dari 3 bulan (terakhir dibayar: "
        "Mei 2024). Membayar lagi berarti pendaftaran baru. / Your BPJS Ketenagakerjaan membership has ended: "
        "contributions were unpaid for over 3 months (last paid: May 2024). Paying again means registering anew."
    )


def test_coverage_ended_by_a_sponsor() -> None:
    params = {"last_paid": None, "through": "2024-09-01", "arrears_months": 3, "cause": "sponsor_stopped"}
    assert render(NoticeKind.coverage_ended, params) == (
        "Kepesertaan BPJS Ketenagakerjaan Anda berakhir: pemberi bantuan iuran berhenti membayar. Membayar lagi "
        "berarti pendaftaran baru. / Your BPJS Ketenagakerjaan membership has ended: your sponsor stopped paying. "
        "Paying again means registering anew."
    )


def test_missing_params_are_an_error_not_a_wrong_text() -> None:
    with pytest.raises(KeyError):
        render(NoticeKind.debit_failed, {"period": "2024-06-01", "amount": 1})
    with pytest.raises(ValueError):
        render(NoticeKind.coverage_at_risk, {"last_paid": None, "through": "2024-06-01", "arrears_months": 3})


def test_sponsor_stopped_tells_the_new_amount_and_how_to_start_a_debit() -> None:
    params = {"sponsor": "Pemerintah Kota Bontang", "period": "2026-06-01", "amount": 8400}
    assert render(NoticeKind.sponsor_stopped, params) == (
        "Pemerintah Kota Bontang berhenti membayar iuran BPJS Ketenagakerjaan Anda. Mulai Juni 2026 iuran Anda "
        "Rp8.400 per bulan dibayar sendiri. Daftarkan rekening atau e-wallet untuk penarikan otomatis lewat agen "
        "Perisai atau kantor cabang, atau bayar di sana. / Pemerintah Kota Bontang stopped paying your BPJS "
        "Ketenagakerjaan contributions. From June 2026 you pay Rp8,400 a month yourself. Register a bank account "
        "or e-wallet for auto-debit with a Perisai agent or at a branch office, or pay there."
    )


def test_coverage_at_risk_of_a_member_who_never_paid_names_the_first_unpaid_month() -> None:
    """A new member whose first month is unpaid has no last paid month: the first unpaid one is named."""
    text = render(
        NoticeKind.coverage_at_risk,
        {"last_paid": None, "unpaid_from": "2024-02-01", "through": "2024-02-01", "arrears_months": 3},
    )
    assert "belum dibayar: Februari 2024" in text
    # Three months after the end of the last covered month, January.
    assert "Bayar paling lambat 30 April 2024" in text
    assert "unpaid: February 2024" in text and "Pay by April 30, 2024" in text


def test_payment_reminder_with_an_account_and_a_deadline() -> None:
    params = {"period": "2024-06-01", "amount": 16800, "account": "BRI ••••1234", "pay_by": "2024-08-31"}
    assert render(NoticeKind.payment_reminder, params) == (
        "Pengingat: iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800 belum dibayar. Mohon pastikan saldo "
        "BRI ••••1234 cukup untuk penarikan berikutnya, atau bayar lewat agen Perisai atau kantor cabang. Bayar "
        "paling lambat 31 Agustus 2024 agar kepesertaan Anda tidak berakhir. / Reminder: your BPJS Ketenagakerjaan "
        "contribution for June 2024, Rp16,800, is unpaid. Please keep enough balance in BRI ••••1234 for the next "
        "debit, or pay through a Perisai agent or at a branch office. Pay by August 31, 2024 to keep your membership."
    )


def test_payment_reminder_without_a_mandate() -> None:
    params = {"period": "2026-05-01", "amount": 8400, "account": None, "pay_by": None}
    indonesian, english = render(NoticeKind.payment_reminder, params).split(" / ")
    assert indonesian == (
        "Pengingat: iuran BPJS Ketenagakerjaan Mei 2026 sebesar Rp8.400 belum dibayar. Mohon bayar lewat agen "
        "Perisai atau kantor cabang."
    )
    assert english.endswith("Please pay through a Perisai agent or at a branch office.")


def test_cash_received_names_the_receipt_the_months_and_the_agent() -> None:
    params = {"number": "PRS-7-00012", "amount": 16_800, "first": "2026-05-01", "last": "2026-06-01", "agent": "Budi"}
    assert render(NoticeKind.cash_received, params) == (
        "Iuran BPJS Ketenagakerjaan Mei 2026 s.d. Juni 2026 sebesar Rp16.800 diterima tunai oleh agen Perisai Budi. "
        "Kuitansi PRS-7-00012. Simpan pesan ini. / Your BPJS Ketenagakerjaan contribution for May 2026 to June "
        "2026, Rp16,800, was received in cash by Perisai agent Budi. Receipt PRS-7-00012. Keep this message."
    )
