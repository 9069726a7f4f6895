"""What stops a debit attempt from being sent: the checks made, set-based, at the moment a worker
(or the settlement job) hands attempts to the gateway, and the cancellation of attempts not yet sent
when a person or a job changes what they were planned on.

An attempt is sent once its batch is marked ``sent_at`` (in the transaction that checked it), or once
it is ``unknown``. Until then it can be cancelled; after, only the gateway's answer settles it. The
batch's row is the lock both sides take (``billing.db.lock_rows``), so a
cancellation and a hand-off cannot interleave: either the attempt is cancelled and never sent, or it
is sent and a receipt recorded meanwhile makes the debit's money the participant's credit."""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from sqlalchemy import Connection, bindparam, text

from billing.db import lock_rows
from billing.failed_debits import sync as failed_debits
from billing.timeutil import utcnow


class CancelReason(StrEnum):
    contribution_settled = "contribution_settled"  # paid, waived, or credited meanwhile
    amount_changed = "amount_changed"  # partly paid meanwhile: a new attempt asks for the rest
    participant_ended = "participant_ended"  # membership ended or cancelled
    mandate_inactive = "mandate_inactive"  # suspended, revoked, expired, or waiting for a new binding
    payment_method_changed = "payment_method_changed"  # a new attempt goes to the new method
    gateway_never_received = "gateway_never_received"  # unknown for a day and the gateway has no record


# Cancelled for these, the month is tried again on the next run with a new attempt (a new key), on the
# mandate then active; the others leave nothing to collect.
RESCHEDULED = frozenset(
    {
        CancelReason.amount_changed,
        CancelReason.mandate_inactive,
        CancelReason.payment_method_changed,
        CancelReason.gateway_never_received,
    }
)

# Why an attempt ``a`` (joined to its contribution ``c``, participant ``p`` and mandate ``m``) must not
# be sent; NULL when it may. The first reason that holds wins.
REASON = """CASE
    WHEN c.status <> 'due' THEN 'contribution_settled'
    WHEN c.amount_due - c.amount_paid <> a.amount THEN 'amount_changed'
    WHEN p.status NOT IN ('registered', 'active', 'in_arrears') THEN 'participant_ended'
    WHEN m.payment_method <> a.payment_method OR m.gateway <> a.gateway THEN 'payment_method_changed'
    WHEN m.status <> 'active' THEN 'mandate_inactive'
END"""

GUARDED_FROM = """debit_attempt a
JOIN contribution c ON c.id = a.contribution_id
JOIN participant p ON p.id = c.participant_id
JOIN mandate m ON m.id = a.mandate_id"""


def lock_batch(conn: Connection, batch_id: int) -> None:
    """Serialises a batch's hand-off with cancellations of its attempts."""
    lock_rows(conn, "debit_batch", "id = :b", {"b": batch_id})


def cancel(conn: Connection, reasons: Iterable[tuple[int, str]], today: date, status: str = "pending") -> int:
    """Cancel the given (attempt id, reason) pairs still in ``status`` (``unknown`` only for the
    settlement job, once the gateway said it never received them); months cancelled for a reason in
    ``RESCHEDULED`` are planned again on the next run. Returns how many were cancelled."""
    pairs = [{"aid": aid, "reason": str(reason), "status": status} for aid, reason in reasons]
    if not pairs:
        return 0
    now = utcnow()
    done = conn.execute(
        text(
            "UPDATE debit_attempt SET status = 'cancelled', cancel_reason = :reason, resolved_at = :now"
            " WHERE id = :aid AND status = :status"
        ),
        [{**p, "now": now} for p in pairs],
    ).rowcount
    again = [p["aid"] for p in pairs if p["reason"] in RESCHEDULED]
    if again:
        _reschedule(conn, again, today)
    return int(done)


def _reschedule(conn: Connection, attempt_ids: list[int], today: date) -> None:
    # The schedule's attempt count is the highest number used, so the next attempt gets a new key; the
    # retry policy counts only attempts that were sent (``attempts - skipped``).
    conn.execute(
        text(
            "INSERT INTO debit_schedule (contribution_id, attempts, next_debit_on, stopped_reason, skipped)"
            " SELECT a.contribution_id, a.attempt_no, :today, NULL, 1 FROM debit_attempt a WHERE a.id IN :ids"
            " ON CONFLICT (contribution_id) DO UPDATE SET"
            " attempts = CASE WHEN excluded.attempts > debit_schedule.attempts"
            " THEN excluded.attempts ELSE debit_schedule.attempts END,"
            " next_debit_on = excluded.next_debit_on, stopped_reason = NULL,"
            " skipped = debit_schedule.skipped + 1"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": attempt_ids, "today": today},
    )
    failed_debits.attempts(conn, attempt_ids)


# The pending attempts of a set of contributions with the batch each lies in, and whether it was sent.
_UNSENT = """
SELECT a.id, b.id AS batch_id, b.sent_at
FROM debit_attempt a
JOIN debit_batch b ON b.run_id = a.run_id AND a.id BETWEEN b.first_attempt_id AND b.last_attempt_id
WHERE a.status = 'pending' AND a.contribution_id IN :cids
"""


def cancel_unsent(conn: Connection, contribution_ids: Iterable[int], reason: CancelReason, today: date) -> int:
    """Inside the caller's transaction: cancel the not-yet-sent attempts of these contributions (an
    attempt already handed to the gateway is left to its answer). Returns how many were cancelled."""
    cids = sorted(set(contribution_ids))
    if not cids:
        return 0
    found = conn.execute(text(_UNSENT).bindparams(bindparam("cids", expanding=True)), {"cids": cids}).all()
    batches = sorted({r.batch_id for r in found})
    for batch_id in batches:
        lock_batch(conn, batch_id)
    if conn.dialect.name == "postgresql" and batches:
        # Read again under the locks: a worker may have handed a batch off while we waited.
        found = conn.execute(text(_UNSENT).bindparams(bindparam("cids", expanding=True)), {"cids": cids}).all()
    return cancel(conn, [(r.id, reason) for r in found if r.sent_at is None], today)


def contributions_of(conn: Connection, participant_id: int) -> list[int]:
    """The participant's due contributions: the ones a change of mandate or membership concerns."""
    rows = conn.execute(
        text("SELECT id FROM contribution WHERE participant_id = :p AND status = 'due'"), {"p": participant_id}
    )
    return [r.id for r in rows]
