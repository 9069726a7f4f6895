"""The gateway's word wins: money it takes back from a charge (a refund made outside this service, a
dispute) reverses the charge's receipt, and money it gives back (a dispute won) is received again.

Events about refunds and disputes come late, twice and out of order, so they are not applied as
deltas: each one makes the books agree with the charge as the gateway records it now (``sync``). What
the gateway took of the charge, less what it gave back and less our own refunds, is what our books
take of its receipt; the difference is booked once, under a key numbered per charge. Taken money
comes out of the month the charge paid (which is due again) as far as the charge's money is still
there, else out of the participant's credit (and out of the newest months that credit paid). A
waived month that money is taken out of is due again in full: its waiver wrote off only what the
money had not paid, so the write-off is undone and finance decides again. Given money is credit,
applied to the oldest due months. A month due again is not debited again automatically: finance
decides, from the failed-debit queue."""

from datetime import date

from sqlalchemy import Connection, text

from billing.contributions import settle
from billing.db import lock_rows
from billing.gateways.base import Gateway, ReversalKind
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import credit_balance, post
from billing.payments import credit

_RECEIPT = "SELECT credit_account, amount, contribution_id, participant_id FROM ledger_transfer WHERE key = :k"

_MOVED = """
SELECT COALESCE(SUM(CASE WHEN kind = 'reversal' THEN amount ELSE -amount END), 0) FROM ledger_transfer
WHERE attempt_id = :a AND kind IN ('reversal', 'reinstated')
"""
_REFUNDED = "SELECT COALESCE(SUM(amount), 0) FROM refund WHERE attempt_id = :a AND status <> 'failed'"
_OUR_KEYS = "SELECT idempotency_key FROM refund WHERE attempt_id = :a"


def held(conn: Connection, attempt_id: int) -> int:
    """What is left in our books of a charge: its receipt, less what the gateway took back and our
    own refunds through it."""
    receipt = conn.execute(text(_RECEIPT), {"k": f"debit:{attempt_id}"}).first()
    if receipt is None:
        return 0
    moved = conn.execute(text(_MOVED), {"a": attempt_id}).scalar_one()
    refunded = conn.execute(text(_REFUNDED), {"a": attempt_id}).scalar_one()
    return int(receipt.amount - moved - refunded)


def sync(conn: Connection, gateway: Gateway, attempt_id: int, reference: str, today: date, event_id: int | None) -> int:
    """Book what the gateway took back from (or gave back to) the charge since we last looked; returns
    the rupiah moved (negative: given back). The attempt's row is locked while it is done."""
    lock_rows(conn, "debit_attempt", "id = :a", {"a": attempt_id})
    receipt = conn.execute(text(_RECEIPT), {"k": f"debit:{attempt_id}"}).first()
    if receipt is None:
        return 0
    ours = {k for (k,) in conn.execute(text(_OUR_KEYS), {"a": attempt_id})}
    taken_at_gateway = 0
    for r in gateway.reversals(charge_reference=reference):
        if r.kind is ReversalKind.refund and r.idempotency_key in ours:
            continue  # our own refund: its row books it
        taken_at_gateway += -r.amount if r.kind is ReversalKind.chargeback_reversed else r.amount
    delta = taken_at_gateway - int(conn.execute(text(_MOVED), {"a": attempt_id}).scalar_one())
    if delta == 0:
        return 0
    n = conn.execute(
        text("SELECT COUNT(*) FROM ledger_transfer WHERE attempt_id = :a AND kind IN ('reversal', 'reinstated')"),
        {"a": attempt_id},
    ).scalar_one()
    key = f"gateway:{attempt_id}:{n + 1}"
    if delta > 0:
        _take(conn, receipt, attempt_id, delta, key, today, event_id)
    else:
        _give(conn, receipt.participant_id, attempt_id, -delta, key, today, event_id)
    return delta


def _take(
    conn: Connection,
    receipt,
    attempt_id: int,
    amount: int,
    key: str,
    today: date,
    event_id: int | None,  # type: ignore[no-untyped-def]
) -> None:
    pid = receipt.participant_id
    from_month = 0
    if receipt.credit_account == Account.contributions_receivable:
        cid = receipt.contribution_id
        # Only what of the charge's money is still in the month it paid: taken and given back before
        # (a dispute won), it went to credit; the month may be paid by other money since.
        paid, left = conn.execute(
            text(
                "SELECT c.amount_paid, :receipt - COALESCE((SELECT SUM(l.amount) FROM ledger_transfer l"
                " WHERE l.attempt_id = :a AND l.kind = 'reversal' AND l.contribution_id = :c), 0)"
                " FROM contribution c WHERE c.id = :c"
            ),
            {"a": attempt_id, "c": cid, "receipt": receipt.amount},
        ).one()
        from_month = max(0, min(amount, int(paid), int(left)))
        if from_month:
            _unpay(conn, cid, from_month, pid, today, key)
            _post(
                conn,
                key,
                TransferKind.reversal,
                Account.contributions_receivable,
                Account.gateway_clearing,
                from_month,
                today,
                attempt_id,
                pid,
                cid,
                event_id,
            )
    rest = amount - from_month
    if rest:
        short = rest - credit_balance(conn, pid, lock=True)
        if short > 0:
            _unapply(conn, pid, short, today, key)
        _post(
            conn,
            f"{key}:credit",
            TransferKind.reversal,
            Account.participant_credit,
            Account.gateway_clearing,
            rest,
            today,
            attempt_id,
            pid,
            None,
            event_id,
        )


def _give(
    conn: Connection, pid: int, attempt_id: int, amount: int, key: str, today: date, event_id: int | None
) -> None:
    _post(
        conn,
        key,
        TransferKind.reinstated,
        Account.gateway_clearing,
        Account.participant_credit,
        amount,
        today,
        attempt_id,
        pid,
        None,
        event_id,
    )
    credit.apply(conn, [pid], today)


def _unapply(conn: Connection, pid: int, amount: int, today: date, key: str) -> None:
    """Move credit back out of the newest months it paid, which become due again."""
    # What credit paid of each month, as far as the month still holds it (its price may have fallen since).
    paid = conn.execute(
        text(
            "SELECT l.contribution_id, MIN(c.amount_paid),"
            " SUM(CASE WHEN l.kind = 'credit_applied' THEN l.amount ELSE -l.amount END)"
            " FROM ledger_transfer l JOIN contribution c ON c.id = l.contribution_id"
            " WHERE l.participant_id = :p AND l.kind IN ('credit_applied', 'credit_unapplied')"
            " GROUP BY l.contribution_id, c.period ORDER BY c.period DESC"
        ),
        {"p": pid},
    ).all()
    for n, (cid, held_by_month, applied) in enumerate(paid):
        take = min(amount, int(applied), int(held_by_month))
        if take <= 0:
            continue
        _unpay(conn, cid, take, pid, today, f"{key}:unapply:{n}")
        post(
            conn,
            f"{key}:unapply:{n}",
            TransferKind.credit_unapplied,
            Account.contributions_receivable,
            Account.participant_credit,
            take,
            today,
            participant_id=pid,
            contribution_id=cid,
        )
        amount -= take
        if amount <= 0:
            break


_WRITTEN_OFF = """
SELECT COALESCE(SUM(CASE WHEN debit_account = 'write_off' THEN amount ELSE -amount END), 0) FROM ledger_transfer
WHERE contribution_id = :c AND 'write_off' IN (debit_account, credit_account)
"""


def _unpay(conn: Connection, cid: int, amount: int, pid: int, today: date, key: str) -> None:
    """Take money back out of a month; a waived one's write-off is undone (it is owed again in full)."""
    if settle.unpay(conn, cid, amount):
        written_off = int(conn.execute(text(_WRITTEN_OFF), {"c": cid}).scalar_one())
        if written_off:
            post(
                conn,
                f"{key}:unwaive",
                TransferKind.write_off_undone,
                Account.contributions_receivable,
                Account.write_off,
                written_off,
                today,
                participant_id=pid,
                contribution_id=cid,
            )


def _post(
    conn: Connection,
    key: str,
    kind: TransferKind,
    debit: Account,
    credit_to: Account,
    amount: int,
    today: date,
    attempt_id: int,
    pid: int,
    cid: int | None,
    event_id: int | None,
) -> None:
    post(
        conn,
        key,
        kind,
        debit,
        credit_to,
        amount,
        today,
        participant_id=pid,
        contribution_id=cid,
        attempt_id=attempt_id,
        event_id=event_id,
    )
