"""What the reports call things, in Indonesian and English: data, looked up by code."""

# Causes of lapses and endings: the debit failure codes (billing.gateways.failures.FailureCode) and
# the causes the coverage rules record.
CAUSES: dict[str, tuple[str, str]] = {
    "insufficient_funds": ("saldo tidak cukup", "insufficient funds"),
    "account_closed": ("rekening ditutup", "account closed"),
    "account_blocked": ("rekening diblokir atau dormant", "account blocked or dormant"),
    "invalid_account": ("data rekening tidak valid", "invalid account details"),
    "mandate_revoked": ("izin autodebet dicabut", "mandate revoked"),
    "authentication_required": ("bank meminta verifikasi", "bank asked for verification"),
    "do_not_honor": ("ditolak bank tanpa alasan", "declined by the bank without a reason"),
    "generic_decline": ("ditolak bank", "declined by the bank"),
    "limit_exceeded": ("melebihi batas transaksi", "over the transaction limit"),
    "gateway_error": ("gangguan layanan bank", "bank service outage"),
    "rate_limited": ("layanan bank sibuk", "bank service busy"),
    "sponsor_stopped": ("sponsor berhenti membayar", "sponsor stopped paying"),
    "no_payment": ("tidak membayar (tanpa autodebet)", "no payment (no auto-debit)"),
    "voluntary": ("berhenti atas kemauan sendiri", "voluntary cancellation"),
    "unknown": ("tidak tercatat", "not recorded"),
}

ECOSYSTEMS: dict[str, tuple[str, str]] = {
    "desa": ("Desa", "Village"),
    "pasar": ("Pasar", "Market"),
    "ecommerce_umkm": ("E-commerce dan UMKM", "E-commerce and micro business"),
    "rentan": ("Pekerja rentan", "Vulnerable workers"),
}

PAYERS: dict[str, tuple[str, str]] = {
    "self": ("Bayar sendiri", "Self-paid"),
    "sponsor_apbd": ("Sponsor pemerintah (APBD/APBN)", "Government sponsor (APBD/APBN)"),
    "sponsor_csr": ("Sponsor perusahaan (CSR)", "Company sponsor (CSR)"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "bank": ("Rekening bank", "Bank account"),
    "ewallet": ("Dompet digital", "E-wallet"),
    "none": ("Tanpa autodebet", "No auto-debit"),
}

DIMENSIONS: dict[str, tuple[str, str]] = {
    "cause": ("Penyebab", "Cause"),
    "ecosystem": ("Ekosistem", "Ecosystem"),
    "payer": ("Pembayar", "Payer"),
    "sponsor": ("Sponsor", "Sponsor"),
    "channel": ("Kanal pembayaran", "Payment channel"),
    "debit_day": ("Tanggal debit", "Debit day"),
    "tenure": ("Bulan sejak mendaftar", "Months since enrolment"),
}

# The waterfall, in order: (key, sign, Indonesian, English).
WATERFALL: tuple[tuple[str, str, str, str], ...] = (
    ("opening", "=", "Aktif di awal periode", "Active at the start"),
    ("activated", "+", "Peserta baru (iuran pertama terbayar)", "New enrolments (first contribution paid)"),
    ("reactivated", "+", "Aktif kembali", "Reactivated"),
    ("recovered", "+", "Pulih dari tunggakan", "Recovered from arrears"),
    ("entered_arrears", "-", "Mulai menunggak", "Entered arrears"),
    ("ended", "-", "Kepesertaan berakhir", "Membership ended"),
    ("cancelled", "-", "Berhenti sukarela", "Voluntary cancellations"),
    ("sponsor_stopped", "-", "Sponsor berhenti membayar", "Sponsor stopped paying"),
    ("closing", "=", "Aktif di akhir periode", "Active at the end"),
)
INS = ("activated", "reactivated", "recovered")
OUTS = ("entered_arrears", "ended", "cancelled", "sponsor_stopped")
# Endings of participants who had already left active (or never got there): shown, not counted.
INFO: tuple[tuple[str, str, str], ...] = (
    (
        "ended_from_arrears",
        "Berakhir setelah menunggak (sudah keluar dari aktif saat mulai menunggak)",
        "Ended after arrears (already left active when the arrears began)",
    ),
    ("ended_before_paying", "Berakhir sebelum iuran pertama terbayar", "Ended before the first contribution was paid"),
)
MEASURES = (*INS, *OUTS, *(key for key, _, _ in INFO))


def label(table: dict[str, tuple[str, str]], code: str) -> tuple[str, str]:
    """A code nobody labelled yet is shown as itself rather than hidden."""
    return table.get(code, (code, code))


def value_label(dimension: str, value: str) -> tuple[str, str]:
    if dimension == "cause":
        return label(CAUSES, value)
    if dimension == "ecosystem":
        return label(ECOSYSTEMS, value)
    if dimension == "payer":
        return label(PAYERS, value)
    if dimension == "channel":
        return label(CHANNELS, value)
    if dimension == "debit_day":
        return CHANNELS["none"] if value == "none" else (f"Tanggal {value}", f"Day {value}")
    if dimension == "tenure":
        return (f"{value} bulan", f"{value} month" + ("" if value == "1" else "s"))
    return (value, value)
