"""One-off debit attempts: finance's "retry now" on one contribution.

A one-off attempt is planned like any other (a ``pending`` row with a new key, ``ct<id>-<n>``, the
next attempt number) in a batch of its own, in the day's ``manual`` run, and written in the caller's
transaction; nothing is sent by planning. It is sent through the engine's own path
(``execution.process``): the guarded ``take`` re-checks it against the contribution, participant and
mandate and marks it sent in one transaction, the gateway is called, ``resolve`` writes the outcome.
Whoever claims its batch first sends it: the request that made it (``send_now``, right after its
commit, so finance sees the outcome), or any ``billing worker`` (a bulk retry leaves them all to the
workers). A batch is claimed once, so it is sent once.

Refused, saying why (409 unless said): the month is not due; a sponsor pays it; the membership has
ended; an attempt is planned or at the gateway; another attempt was made since the page was read;
no active mandate; a hard failure on the mandate's current account; the attempt limit reached on that
account (a new account starts afresh, as the engine's ``reopen_stopped`` does); the month's first
debit day has not come."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, text
from sqlalchemy.exc import IntegrityError

from billing.db import lock_rows
from billing.debits import runs
from billing.debits.execution import Batch, process
from billing.debits.models import RunKind, RunStatus
from billing.debits.policy import RetryPolicy
from billing.errors import BillingError, Conflict, NotFound
from billing.failed_debits import sync as failed_debits
from billing.gateways.base import Gateway
from billing.gateways.failures import FailureClass, rule
from billing.mandates.models import LIVE_STATUSES
from billing.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Planned:
    attempt_id: int
    attempt_no: int
    idempotency_key: str
    amount: int
    batch_id: int
    gateway: str


@dataclass(frozen=True, slots=True)
class _Attempt:
    attempt_no: int
    status: str
    failure_code: str | None
    gateway: str
    payment_method: str


def _refuse(code: str, detail_id: str, detail_en: str) -> Conflict:
    return Conflict(f"{detail_id} / {detail_en}", code=code)


def _contribution(conn: Connection, contribution_id: int) -> Row[Any]:
    found = conn.execute(
        text(
            "SELECT c.id, c.participant_id, c.status, c.payer, c.period, c.amount_due - c.amount_paid AS owed,"
            " p.status AS participant_status, p.membership_from"
            " FROM contribution c JOIN participant p ON p.id = c.participant_id WHERE c.id = :c"
        ),
        {"c": contribution_id},
    ).first()
    if found is None:
        raise NotFound(
            f"Iuran {contribution_id} tidak ditemukan. / Contribution {contribution_id} not found.",
            code="contribution_not_found",
        )
    return found


def _attempts(conn: Connection, contribution_id: int) -> list[_Attempt]:
    rows = conn.execute(
        text(
            "SELECT attempt_no, status, failure_code, gateway, payment_method FROM debit_attempt"
            " WHERE contribution_id = :c ORDER BY attempt_no"
        ),
        {"c": contribution_id},
    )
    return [_Attempt(*r) for r in rows]


def latest_attempt_no(conn: Connection, contribution_id: int) -> int:
    return int(
        conn.execute(
            text("SELECT COALESCE(MAX(attempt_no), 0) FROM debit_attempt WHERE contribution_id = :c"),
            {"c": contribution_id},
        ).scalar_one()
    )


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _on_method(attempts: Sequence[_Attempt], gateway: str, method: str) -> list[_Attempt]:
    """The attempts sent to this account (a cancelled one never reached it)."""
    return [a for a in attempts if a.gateway == gateway and a.payment_method == method and a.status != "cancelled"]


def refusal(
    conn: Connection, contribution_id: int, today: date, max_attempts: int, after_attempt: int | None = None
) -> BillingError | None:
    """Why a one-off attempt of the contribution must not be made now; None when it may."""
    c = _contribution(conn, contribution_id)
    if c.status != "due":
        return _refuse(
            "contribution_not_due",
            f"Iuran ini tidak terutang ({c.status}); tidak ada yang ditarik.",
            f"This contribution is not due ({c.status}); there is nothing to collect.",
        )
    if c.payer != "self":
        return _refuse(
            "not_self_paid",
            "Iuran bulan ini dibayar sponsor, bukan ditarik dari rekening peserta.",
            "A sponsor pays this month; it is not debited from the worker's account.",
        )
    period = _as_date(c.period)
    if c.participant_status in ("ended", "cancelled") or period < _as_date(c.membership_from):
        return _refuse(
            "membership_ended",
            f"Bulan {period:%Y-%m} termasuk kepesertaan yang sudah berakhir; daftar ulang dulu.",
            f"{period:%Y-%m} belongs to a membership that has ended; register again first.",
        )
    attempts = _attempts(conn, contribution_id)
    latest = attempts[-1].attempt_no if attempts else 0
    busy = [a for a in attempts if a.status in ("pending", "unknown")]
    if busy:
        return _refuse(
            "debit_in_flight",
            f"Penarikan ke-{busy[-1].attempt_no} sedang direncanakan atau diproses gateway; tunggu hasilnya "
            "(biasanya beberapa menit) lalu coba lagi.",
            f"Attempt {busy[-1].attempt_no} is planned or at the gateway; wait for its outcome (usually a few "
            "minutes), then try again.",
        )
    if after_attempt is not None and after_attempt != latest:
        return _refuse(
            "case_changed",
            f"Kasus berubah sejak halaman dibuka: kini ada {latest} percobaan. Muat ulang halaman.",
            f"The case changed since the page was opened: there are now {latest} attempts. Reload the page.",
        )
    mandate = conn.execute(
        text(
            "SELECT id, status, gateway, payment_method, debit_day FROM mandate WHERE participant_id = :p"
            " AND status IN :live ORDER BY id DESC LIMIT 1"
        ).bindparams(bindparam("live", expanding=True)),
        {"p": c.participant_id, "live": [s.value for s in LIVE_STATUSES]},
    ).first()
    if mandate is None:
        return _refuse(
            "mandate_not_active",
            "Peserta tidak punya mandat autodebet; catat pembayaran tunai atau minta mandat baru.",
            "The worker has no auto-debit mandate; record a cash payment or ask for a new mandate.",
        )
    sent = _on_method(attempts, mandate.gateway, mandate.payment_method)
    last = sent[-1] if sent else None
    last_rule = rule(last.failure_code) if last is not None and last.failure_code else None
    if last_rule is not None and last_rule.failure_class is FailureClass.hard:
        return _refuse(
            "hard_failure",
            f"Penarikan terakhir gagal permanen ({last_rule.code}): {last_rule.text_id} Mengulang tidak akan berhasil.",
            f"The last debit failed for good ({last_rule.code}): {last_rule.text_en} A retry cannot succeed.",
        )
    if mandate.status != "active":
        return _refuse(
            "mandate_not_active",
            f"Mandat {mandate.id} sedang {mandate.status}; aktifkan dulu sebelum menarik.",
            f"Mandate {mandate.id} is {mandate.status}; it must be active to debit.",
        )
    limit = max_attempts
    if last_rule is not None and last_rule.failure_class is FailureClass.soft:
        limit = min(limit, last_rule.max_tries)
    if len(sent) >= limit:
        return _refuse(
            "retry_limit_reached",
            f"Sudah {len(sent)} kali ditarik dari rekening ini (batas {limit}); catat pembayaran tunai, "
            "hapuskan, atau minta rekening lain.",
            f"Already {len(sent)} debits from this account (the limit is {limit}); record a cash payment, "
            "waive it, or ask for another account.",
        )
    if not attempts:
        month = today.replace(day=1)
        if period > month or (period == month and mandate.debit_day > today.day):
            first = period.replace(day=mandate.debit_day) if period >= month else today
            return _refuse(
                "debit_not_yet_due",
                f"Penarikan pertama bulan ini baru pada {first:%Y-%m-%d}.",
                f"This month's first debit is not due until {first:%Y-%m-%d}.",
            )
    return None


_ATTEMPT = """
INSERT INTO debit_attempt
    (run_id, contribution_id, mandate_id, attempt_no, trigger, amount, idempotency_key, gateway, payment_method,
     status, created_at)
SELECT :run, c.id, m.id, :n, 'manual', c.amount_due - c.amount_paid, :key, m.gateway, m.payment_method, 'pending',
       :now
FROM contribution c JOIN mandate m ON m.participant_id = c.participant_id AND m.status = 'active'
WHERE c.id = :c
RETURNING id, amount, gateway
"""


def check(
    conn: Connection, contribution_id: int, today: date, max_attempts: int, after_attempt: int | None = None
) -> None:
    """Inside the caller's transaction: take the month's lock (held until commit) and raise the
    refusal (``BillingError``) when a one-off attempt may not be made."""
    # Serialises with another retry, a receipt or a waiver of the month (SQLite: the write lock, now).
    lock_rows(conn, "contribution", "id = :c", {"c": contribution_id})
    refused = refusal(conn, contribution_id, today, max_attempts, after_attempt)
    if refused is not None:
        raise refused


def plan(
    conn: Connection, contribution_id: int, today: date, max_attempts: int, after_attempt: int | None = None
) -> Planned:
    """Inside the caller's transaction: ``check``, then write the attempt and its batch (queued)."""
    check(conn, contribution_id, today, max_attempts, after_attempt)
    # The next number after every attempt made and every one the schedule has counted.
    made = latest_attempt_no(conn, contribution_id)
    counted = conn.execute(
        text("SELECT attempts FROM debit_schedule WHERE contribution_id = :c"), {"c": contribution_id}
    ).scalar()
    n = 1 + max(int(made), int(counted or 0))
    key = f"ct{contribution_id}-{n}"
    run_id = runs.ensure(conn, RunKind.manual, today, RunStatus.running)
    try:
        row = conn.execute(
            text(_ATTEMPT), {"run": run_id, "c": contribution_id, "n": n, "key": key, "now": utcnow()}
        ).one()
    except IntegrityError as exc:  # the day's planning wrote this attempt number meanwhile
        raise _refuse(
            "debit_in_flight",
            "Penarikan baru saja direncanakan oleh proses harian; tunggu hasilnya.",
            "The daily run has just planned a debit of this month; wait for its outcome.",
        ) from exc
    batch_id = conn.execute(
        text(
            "INSERT INTO debit_batch (run_id, first_attempt_id, last_attempt_id, size, status, claims)"
            " VALUES (:r, :a, :a, 1, 'queued', 0) RETURNING id"
        ),
        {"r": run_id, "a": row.id},
    ).scalar_one()
    # The run has work again; ``complete_if_done`` closes it once the batch is done.
    conn.execute(text("UPDATE job_run SET status = 'running', finished_at = NULL WHERE id = :r"), {"r": run_id})
    # Attempt numbers go on from here; no retry is planned while this one is out (its outcome schedules).
    conn.execute(
        text("UPDATE debit_schedule SET attempts = :n, next_debit_on = NULL WHERE contribution_id = :c"),
        {"n": n, "c": contribution_id},
    )
    failed_debits.months(conn, [contribution_id])  # the queue shows no retry date while this one is out
    return Planned(row.id, n, key, int(row.amount), batch_id, row.gateway)


_CLAIM_ONE = """
UPDATE debit_batch SET status = 'claimed', lease_owner = :owner, lease_expires_at = :until, claims = claims + 1
WHERE id = :b AND status = 'queued'
RETURNING id, run_id, first_attempt_id, last_attempt_id
"""


def send_now(
    engine: Engine, gateway: Gateway, batch_id: int, policy: RetryPolicy, owner: str, lease: timedelta
) -> bool:
    """Claim this one batch (committed) and send it through the engine's guarded path; False when a
    worker claimed it first (it sends it)."""
    with engine.begin() as conn:
        row = conn.execute(text(_CLAIM_ONE), {"b": batch_id, "owner": owner, "until": utcnow() + lease}).first()
        if row is None:
            return False
        run_date = conn.execute(text("SELECT run_date FROM job_run WHERE id = :r"), {"r": row.run_id}).scalar_one()
    batch = Batch(row.id, row.run_id, row.first_attempt_id, row.last_attempt_id, _as_date(run_date))
    process(engine, gateway, batch, policy, owner)
    return True
