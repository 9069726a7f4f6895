"""The gateway's word wins: money it takes back (a refund made outside this service, a dispute) reverses
the receipt of the charge it names, and money it gives back (a dispute won) is received again. A month
that becomes unpaid is due again and coverage follows the normal rules; it is not debited again
automatically (finance decides, from the failed-debit queue)."""

from datetime import date

from sqlalchemy import Connection, text

from billing.contributions import settle
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import credit_balance, post
from billing.payments import credit

_RECEIPT = "SELECT credit_account, amount, contribution_id, participant_id FROM ledger_transfer WHERE key = :k"

_TAKEN_BACK = """
SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer
WHERE attempt_id = :a AND kind = 'reversal'
"""
_GIVEN_BACK = "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer WHERE attempt_id = :a AND kind = 'reinstated'"
_REFUNDED = "SELECT COALESCE(SUM(amount), 0) FROM refund WHERE attempt_id = :a AND status <> 'failed'"


def held(conn: Connection, attempt_id: int) -> int:
    """What is left in our books of a charge: its receipt, less reversals and refunds, plus reinstatements."""
    receipt = conn.execute(text(_RECEIPT), {"k": f"debit:{attempt_id}"}).first()
    if receipt is None:
        return 0
    taken = conn.execute(text(_TAKEN_BACK), {"a": attempt_id}).scalar_one()
    given = conn.execute(text(_GIVEN_BACK), {"a": attempt_id}).scalar_one()
    refunded = conn.execute(text(_REFUNDED), {"a": attempt_id}).scalar_one()
    return int(receipt.amount - taken + given - refunded)


def reverse(conn: Connection, attempt_id: int, amount: int, key: str, today: date, event_id: int | None) -> int:
    """Take up to ``amount`` of a charge's receipt back to the gateway; returns how much was taken.
    From the month it paid (due again), or from the credit it became; credit already spent on later
    months is taken back from the newest of them."""
    receipt = conn.execute(text(_RECEIPT), {"k": f"debit:{attempt_id}"}).first()
    if receipt is None:
        return 0
    amount = min(amount, held(conn, attempt_id))
    if amount <= 0:
        return 0
    pid = receipt.participant_id
    if receipt.credit_account == Account.contributions_receivable:
        cid = receipt.contribution_id
        paid = conn.execute(text("SELECT amount_paid FROM contribution WHERE id = :c"), {"c": cid}).scalar_one()
        from_month = min(amount, int(paid))
        if from_month:
            settle.unpay(conn, cid, from_month)
            _post_reversal(
                conn, key, Account.contributions_receivable, from_month, today, attempt_id, pid, cid, event_id
            )
        rest = amount - from_month
        if rest:  # the month was re-paid with this money moved elsewhere: take it from credit
            _from_credit(conn, f"{key}:credit", pid, rest, today, attempt_id, event_id)
    else:
        _from_credit(conn, key, pid, amount, today, attempt_id, event_id)
    return amount


def _from_credit(
    conn: Connection, key: str, pid: int, amount: int, today: date, attempt_id: int, event_id: int | None
) -> None:
    short = amount - credit_balance(conn, pid, lock=True)
    if short > 0:
        _unapply(conn, pid, short, today, key)
    _post_reversal(conn, key, Account.participant_credit, amount, today, attempt_id, pid, None, event_id)


def _unapply(conn: Connection, pid: int, amount: int, today: date, key: str) -> None:
    """Move credit back out of the newest months it paid, which become due again."""
    paid = conn.execute(
        text(
            "SELECT l.contribution_id, SUM(l.amount) AS amount FROM ledger_transfer l JOIN contribution c"
            " ON c.id = l.contribution_id WHERE l.participant_id = :p AND l.kind = 'credit_applied'"
            " GROUP BY l.contribution_id, c.period ORDER BY c.period DESC"
        ),
        {"p": pid},
    ).all()
    for n, (cid, applied) in enumerate(paid):
        if amount <= 0:
            break
        unapplied = conn.execute(
            text(
                "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer"
                " WHERE contribution_id = :c AND kind = 'credit_unapplied'"
            ),
            {"c": cid},
        ).scalar_one()
        take = min(amount, int(applied) - int(unapplied))
        if take <= 0:
            continue
        settle.unpay(conn, cid, take)
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


def _post_reversal(
    conn: Connection,
    key: str,
    source: Account,
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
        TransferKind.reversal,
        source,
        Account.gateway_clearing,
        amount,
        today,
        participant_id=pid,
        contribution_id=cid,
        attempt_id=attempt_id,
        event_id=event_id,
    )


def reinstate(conn: Connection, attempt_id: int, amount: int, key: str, today: date, event_id: int | None) -> int:
    """A dispute won: the money is ours again, as the participant's credit, applied to their oldest
    due months (the month it first paid among them). Returns how much."""
    receipt = conn.execute(text(_RECEIPT), {"k": f"debit:{attempt_id}"}).first()
    if receipt is None:
        return 0
    taken = conn.execute(text(_TAKEN_BACK), {"a": attempt_id}).scalar_one()
    given = conn.execute(text(_GIVEN_BACK), {"a": attempt_id}).scalar_one()
    amount = min(amount, int(taken) - int(given))
    if amount <= 0:
        return 0
    pid = receipt.participant_id
    posted = post(
        conn,
        key,
        TransferKind.reinstated,
        Account.gateway_clearing,
        Account.participant_credit,
        amount,
        today,
        participant_id=pid,
        attempt_id=attempt_id,
        event_id=event_id,
    )
    if posted:
        credit.apply(conn, [pid], today)
    return amount if posted else 0
