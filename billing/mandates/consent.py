"""The auto-debit consent a worker reads before binding an account, versioned: the consent record keeps
the version shown, so what was agreed can be read again later. A change of wording is a new version
(a new entry here; old ones stay)."""

from babel.numbers import format_decimal

VERSION = "2026-12-v1"

# Indonesian, English; {provider} {amount} {day} are filled in.
_TEXTS: dict[str, tuple[tuple[str, str], ...]] = {
    "2026-12-v1": (
        (
            "BPJS Ketenagakerjaan, lewat penyedia pembayarannya, akan menarik iuran BPU Anda dari {provider} "
            "setiap bulan.",
            "BPJS Ketenagakerjaan, through its payment provider, will debit your BPU contribution from "
            "{provider} every month.",
        ),
        (
            "Jumlahnya iuran bulan itu: sekarang {amount} per bulan. Jumlah ini berubah bila tarif, penghasilan "
            "atau program Anda berubah; iuran bulan yang belum terbayar juga dapat ditarik.",
            "The amount is that month's contribution: {amount} a month now. It changes when the tariff, your "
            "income or your programmes change; unpaid earlier months may be debited too.",
        ),
        (
            "Penarikan pada tanggal {day} setiap bulan. Bila gagal (misalnya saldo kurang), penarikan diulang "
            "beberapa kali, terutama setelah hari gajian; Anda diberi tahu lewat SMS/WhatsApp.",
            "Debits are made on day {day} of each month. If one fails (e.g. not enough balance) it is tried "
            "again a few times, mostly after paydays; you are told by SMS/WhatsApp.",
        ),
        (
            "Anda dapat menghentikan autodebet kapan saja di halaman ini (Ubah → Hentikan autodebet), di kantor "
            "cabang BPJS Ketenagakerjaan, atau di bank/e-wallet Anda. Penarikan yang sudah dikirim ke bank "
            "tidak dapat dibatalkan.",
            "You can stop the auto-debit at any time on these pages (Change → Stop auto-debit), at a BPJS "
            "Ketenagakerjaan branch, or at your bank/e-wallet. A debit already sent to the bank cannot be "
            "cancelled.",
        ),
        (
            "Nomor rekening atau e-wallet Anda tidak disimpan oleh layanan ini: Anda mengonfirmasinya di "
            "halaman bank/e-wallet sendiri, dan kami hanya menyimpan tanda pengenal (token) darinya.",
            "Your account or e-wallet number is not stored by this service: you confirm it on your bank's or "
            "e-wallet's own page, and we keep only the token it gives us.",
        ),
    ),
}


def paragraphs(version: str, lang: str, *, provider: str, amount: int, day: int) -> list[str]:
    """The consent text of ``version`` in ``lang`` ("id" or "en"), one string per paragraph."""
    side = 0 if lang == "id" else 1
    values = {"provider": provider, "amount": "Rp " + format_decimal(amount, locale=lang), "day": day}
    return [pair[side].format(**values) for pair in _TEXTS[version]]
