"""A participant's credit (unapplied money) pays their oldest due months first, before any debit is
planned for them: a month fully covered is paid ``via credit`` and not debited; one partly covered is
debited for the rest. A month with a debit at the gateway is left to that debit."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, text

from billing.contributions import settle
from billing.contributions.models import PaidVia
from billing.debits.guards import CancelReason, cancel_unsent
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import credit_balance, post
from billing.timeutil import utcnow

# Due months of a current membership oldest first (an ended one's months are never paid: coverage
# would not follow), without the ones whose debit the gateway holds (unknown, or pending in a
# batch handed to the gateway): their money may be on its way.
_DUE = """
SELECT c.id, c.amount_due - c.amount_paid AS owed FROM contribution c
JOIN participant p ON p.id = c.participant_id
WHERE c.participant_id = :p AND c.status = 'due'
  AND p.status IN ('registered', 'active', 'in_arrears') AND c.period >= p.membership_from
  AND NOT EXISTS (
    SELECT 1 FROM debit_attempt a
    LEFT JOIN debit_batch b ON b.run_id = a.run_id AND a.id BETWEEN b.first_attempt_id AND b.last_attempt_id
    WHERE a.contribution_id = c.id AND (a.status = 'unknown' OR (a.status = 'pending' AND b.sent_at IS NOT NULL)))
ORDER BY c.period
"""


def apply(conn: Connection, participant_ids: Iterable[int], today: date) -> int:
    """Inside the caller's transaction; returns how many rupiah of credit were applied."""
    applied = 0
    for pid in sorted(set(participant_ids)):
        balance = credit_balance(conn, pid, lock=True)
        if balance <= 0:
            continue
        for cid, owed in conn.execute(text(_DUE), {"p": pid}).all():
            if balance <= 0:
                break
            take = min(balance, owed)
            n = conn.execute(
                text("SELECT COUNT(*) FROM ledger_transfer WHERE contribution_id = :c AND kind = 'credit_applied'"),
                {"c": cid},
            ).scalar_one()
            post(
                conn,
                f"credit:{cid}:{n + 1}",
                TransferKind.credit_applied,
                Account.participant_credit,
                Account.contributions_receivable,
                take,
                today,
                participant_id=pid,
                contribution_id=cid,
            )
            settle.pay(conn, cid, take, PaidVia.credit, today, utcnow())
            reason = CancelReason.contribution_settled if take == owed else CancelReason.amount_changed
            cancel_unsent(conn, [cid], reason, today)
            balance -= take
            applied += take
    return applied


def apply_all(conn: Connection, today: date) -> int:
    """Every participant with credit (before a debit run is planned, after months are generated)."""
    pids = [r[0] for r in conn.execute(text("SELECT participant_id FROM participant_credit WHERE balance > 0"))]
    return apply(conn, pids, today)
