"""The normalised failure taxonomy, as data: every adapter maps its own codes onto these.

The class of a code decides what the debit engine does next (killbill's split of payment failures,
gateway failures and unknown outcomes; GoCardless retries only insufficient funds):

- ``soft``: the account may pay later; retry on a schedule of days (ideally after payday) with a
  NEW idempotency key per attempt, at most ``max_tries`` attempts in all.
- ``hard``: retrying cannot help; stop, suspend the mandate and tell the worker.
- ``transient``: the gateway did not process the charge; retry within minutes with the SAME key.

User-facing text says what happened and what to do, Indonesian first, then English.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from babel.dates import format_date


class FailureCode(StrEnum):
    insufficient_funds = "insufficient_funds"
    do_not_honor = "do_not_honor"
    generic_decline = "generic_decline"
    limit_exceeded = "limit_exceeded"
    account_closed = "account_closed"
    account_blocked = "account_blocked"  # dormant or blocked
    invalid_account = "invalid_account"
    mandate_revoked = "mandate_revoked"
    authentication_required = "authentication_required"
    gateway_error = "gateway_error"
    rate_limited = "rate_limited"


class FailureClass(StrEnum):
    soft = "soft"
    hard = "hard"
    transient = "transient"


@dataclass(frozen=True, slots=True)
class ClassPolicy:
    retry: bool
    same_key: bool  # a retry replays the same idempotency key (the charge was never processed)
    suspend_mandate: bool
    notify_worker: bool


CLASS_POLICY: dict[FailureClass, ClassPolicy] = {
    FailureClass.soft: ClassPolicy(retry=True, same_key=False, suspend_mandate=False, notify_worker=True),
    FailureClass.hard: ClassPolicy(retry=False, same_key=False, suspend_mandate=True, notify_worker=True),
    FailureClass.transient: ClassPolicy(retry=True, same_key=True, suspend_mandate=False, notify_worker=False),
}


@dataclass(frozen=True, slots=True)
class FailureRule:
    code: FailureCode
    failure_class: FailureClass
    max_tries: int  # attempts in all, the first included
    # Transient failures are retried after this delay; soft ones are scheduled in days by the retry policy.
    retry_after: timedelta | None
    # "{next_try}" is the next attempt's date, or "the next debit" when none is scheduled.
    text_id: str
    text_en: str

    @property
    def policy(self) -> ClassPolicy:
        return CLASS_POLICY[self.failure_class]


def _rule(
    code: FailureCode, cls: FailureClass, max_tries: int, text_id: str, text_en: str, retry_after_min: int = 0
) -> FailureRule:
    retry_after = timedelta(minutes=retry_after_min) if retry_after_min else None
    return FailureRule(code, cls, max_tries, retry_after, text_id, text_en)


_S, _H, _T = FailureClass.soft, FailureClass.hard, FailureClass.transient
_F = FailureCode

TAXONOMY: dict[FailureCode, FailureRule] = {
    r.code: r
    for r in (
        _rule(
            _F.insufficient_funds,
            _S,
            4,
            "Saldo tidak cukup. Isi saldo sebelum {next_try} agar iuran dapat ditarik.",
            "Insufficient balance. Top up before {next_try} so the contribution can be collected.",
        ),
        _rule(
            _F.do_not_honor,
            _S,
            2,
            "Bank menolak penarikan tanpa menyebut alasan. Hubungi bank Anda sebelum {next_try}.",
            "Your bank declined the debit without giving a reason. Contact your bank before {next_try}.",
        ),
        _rule(
            _F.generic_decline,
            _S,
            2,
            "Penarikan ditolak oleh bank. Periksa rekening Anda sebelum {next_try}.",
            "The debit was declined by the bank. Check your account before {next_try}.",
        ),
        _rule(
            _F.limit_exceeded,
            _S,
            3,
            "Penarikan melebihi batas transaksi rekening atau dompet digital Anda. "
            "Naikkan batasnya sebelum {next_try} atau daftarkan metode pembayaran lain.",
            "The debit exceeds your account or e-wallet transaction limit. "
            "Raise the limit before {next_try} or register another payment method.",
        ),
        _rule(
            _F.account_closed,
            _H,
            1,
            "Rekening sudah ditutup. Daftarkan rekening lain untuk penarikan otomatis.",
            "The account is closed. Register another account for auto-debit.",
        ),
        _rule(
            _F.account_blocked,
            _H,
            1,
            "Rekening tidak aktif (dormant) atau diblokir. Aktifkan kembali di bank Anda atau daftarkan rekening lain.",
            "The account is dormant or blocked. Reactivate it at your bank or register another account.",
        ),
        _rule(
            _F.invalid_account,
            _H,
            1,
            "Data rekening tidak valid. Periksa lalu daftarkan ulang rekening Anda.",
            "The account details are invalid. Check them and register your account again.",
        ),
        _rule(
            _F.mandate_revoked,
            _H,
            1,
            "Izin penarikan otomatis sudah dicabut atau kedaluwarsa. Berikan izin baru agar iuran dapat ditarik.",
            "The auto-debit authorisation was revoked or has expired. "
            "Give a new one so contributions can be collected.",
        ),
        _rule(
            _F.authentication_required,
            _H,
            1,
            "Bank meminta verifikasi (misalnya OTP) untuk penarikan ini. Berikan izin penarikan otomatis yang baru.",
            "Your bank requires verification (e.g. an OTP) for this debit. Give a new auto-debit authorisation.",
        ),
        _rule(
            _F.gateway_error,
            _T,
            5,
            "Layanan bank sedang gangguan. Kami akan mencoba lagi otomatis; Anda tidak perlu melakukan apa pun.",
            "The bank's service is having problems. We will retry automatically; you need not do anything.",
            retry_after_min=10,
        ),
        _rule(
            _F.rate_limited,
            _T,
            5,
            "Layanan bank sedang sibuk. Kami akan mencoba lagi otomatis; Anda tidak perlu melakukan apa pun.",
            "The bank's service is busy. We will retry automatically; you need not do anything.",
            retry_after_min=2,
        ),
    )
}


def rule(code: FailureCode | str) -> FailureRule:
    """The rule of a normalised code; ValueError for a code outside the taxonomy."""
    return TAXONOMY[FailureCode(code)]


def notice_text(code: FailureCode | str, next_try: date | None = None) -> str:
    """What happened and what to do, "Indonesian / English", for a notice to the worker."""
    r = rule(code)
    if next_try is None:
        when_id, when_en = "penarikan berikutnya", "the next debit"
    else:
        when_id = "tanggal " + format_date(next_try, format="long", locale="id")
        when_en = format_date(next_try, format="long", locale="en")
    return f"{r.text_id.format(next_try=when_id)} / {r.text_en.format(next_try=when_en)}"
