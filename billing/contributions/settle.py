"""Paying and un-paying contributions: the only writes of a contribution's paid amount. A contribution
is ``paid`` when the money posted to it (``amount_paid``) reaches what it owes, ``due`` while it does
not; each call here goes with the ledger transfer that moved the money (``billing.payments``)."""

from datetime import date, datetime

from sqlalchemy import Connection, text

from billing.contributions.models import PaidVia
from billing.db import ids_of, lock_rows
from billing.failed_debits import sync as failed_debits

_PAY = """
UPDATE contribution SET amount_paid = amount_paid + :amount,
    status = CASE WHEN amount_paid + :amount >= amount_due THEN 'paid' ELSE 'due' END,
    paid_via = :via, paid_on = :today, paid_at = :now, receipt_number = COALESCE(:receipt, receipt_number)
WHERE id = :cid AND status = 'due' AND amount_due - amount_paid >= :amount
"""


def pay(
    conn: Connection,
    contribution_id: int,
    amount: int,
    via: PaidVia,
    today: date,
    now: datetime,
    receipt_number: str | None = None,
) -> bool:
    """Add ``amount`` to a due contribution; False (nothing written) when it is not due or the amount
    is more than it still owes."""
    params = {
        "cid": contribution_id,
        "amount": amount,
        "via": via.value,
        "today": today,
        "now": now,
        "receipt": receipt_number,
    }
    if not conn.execute(text(_PAY), params).rowcount:
        return False
    failed_debits.months(conn, [contribution_id])
    return True


def unpay(conn: Connection, contribution_id: int, amount: int) -> bool:
    """Take ``amount`` back from a contribution (a reversed receipt): it is due again, or ``lapsed``
    when its membership has ended since (nothing may collect it again). A waived one is due again in
    full: its waiver wrote off only what the money had not paid, so with the money gone the waiver is
    undone and finance decides again. Returns whether it was waived (the caller then reverses the
    write-off); the row is locked first, so a waiver cannot slip in between."""
    lock_rows(conn, "contribution", "id = :cid", {"cid": contribution_id})
    status = conn.execute(text("SELECT status FROM contribution WHERE id = :cid"), {"cid": contribution_id}).scalar()
    changed = conn.execute(
        text(
            "UPDATE contribution SET amount_paid = amount_paid - :amount, waive_reason = NULL,"
            " status = CASE WHEN period < (SELECT p.membership_from FROM participant p"
            " WHERE p.id = contribution.participant_id) THEN 'lapsed' ELSE 'due' END"
            " WHERE id = :cid AND amount_paid >= :amount"
        ),
        {"cid": contribution_id, "amount": amount},
    ).rowcount
    if not changed:
        # The caller posts the transfer that goes with this: moving it without the month would split the books.
        raise RuntimeError(f"contribution {contribution_id} holds less than {amount} to take back")
    failed_debits.months(conn, [contribution_id])
    return status == "waived"


def waive(conn: Connection, contribution_id: int, reason: str) -> int | None:
    """Write off what a due contribution still owes: returns that amount (read in the same statement,
    so a payment or reversal meanwhile cannot make it stale), or None when it is not due."""
    rest = conn.execute(
        text(
            "UPDATE contribution SET status = 'waived', waive_reason = :reason WHERE id = :cid AND status = 'due'"
            " RETURNING amount_due - amount_paid"
        ),
        {"cid": contribution_id, "reason": reason},
    ).scalar()
    if rest is not None:
        failed_debits.months(conn, [contribution_id])
    return rest


# From the debit engine's results (``tmp_results``): a succeeded attempt pays its month when the month
# is still due and owes at least the attempt's amount. The ids returned are the months it paid.
_PAY_BY_DEBIT = """
UPDATE contribution SET amount_paid = contribution.amount_paid + r.amount,
    status = CASE WHEN contribution.amount_paid + r.amount >= contribution.amount_due THEN 'paid' ELSE 'due' END,
    paid_via = 'debit', paid_on = :today, paid_at = :now
FROM tmp_results r
WHERE r.status = 'succeeded' AND contribution.id = r.contribution_id AND contribution.status = 'due'
  AND contribution.amount_due - contribution.amount_paid >= r.amount
RETURNING contribution.id
"""


def pay_by_debit(conn: Connection, today: date, now: datetime) -> set[int]:
    return ids_of(conn.execute(text(_PAY_BY_DEBIT), {"today": today, "now": now}))
