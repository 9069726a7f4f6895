"""Posting to the ledger. Every transfer goes through here, so a participant's credit balance
changes with the transfers that move it, in the same transaction."""

from datetime import date, datetime

from sqlalchemy import Connection, text

from billing.ledger.models import Account, TransferKind
from billing.timeutil import utcnow

_INSERT = """
INSERT INTO ledger_transfer (key, kind, debit_account, credit_account, amount, participant_id, contribution_id,
    attempt_id, receipt_id, refund_id, event_id, posted_on, created_at)
VALUES (:key, :kind, :debit, :credit, :amount, :participant_id, :contribution_id, :attempt_id, :receipt_id,
    :refund_id, :event_id, :today, :now)
ON CONFLICT (key) DO NOTHING
"""

_CREDIT = """
INSERT INTO participant_credit (participant_id, balance) VALUES (:p, :delta)
ON CONFLICT (participant_id) DO UPDATE SET balance = participant_credit.balance + excluded.balance
"""


def post(
    conn: Connection,
    key: str,
    kind: TransferKind,
    debit: Account,
    credit: Account,
    amount: int,
    today: date,
    *,
    participant_id: int | None = None,
    contribution_id: int | None = None,
    attempt_id: int | None = None,
    receipt_id: int | None = None,
    refund_id: int | None = None,
    event_id: int | None = None,
) -> bool:
    """One balanced transfer; False (nothing posted) when ``key`` was posted before. A transfer to or
    from ``participant_credit`` names the participant and moves their balance with it."""
    if Account.participant_credit in (debit, credit) and participant_id is None:
        raise ValueError("a transfer of participant credit names the participant")
    params = {
        "key": key,
        "kind": kind.value,
        "debit": debit.value,
        "credit": credit.value,
        "amount": amount,
        "participant_id": participant_id,
        "contribution_id": contribution_id,
        "attempt_id": attempt_id,
        "receipt_id": receipt_id,
        "refund_id": refund_id,
        "event_id": event_id,
        "today": today,
        "now": utcnow(),
    }
    if not conn.execute(text(_INSERT), params).rowcount:
        return False
    if credit is Account.participant_credit:
        conn.execute(text(_CREDIT), {"p": participant_id, "delta": amount})
    if debit is Account.participant_credit:
        # Spending credit: the row exists, and its CHECK refuses a balance below zero.
        spend = "UPDATE participant_credit SET balance = balance - :amount WHERE participant_id = :p"
        conn.execute(text(spend), {"p": participant_id, "amount": amount})
    return True


def credit_balance(conn: Connection, participant_id: int, lock: bool = False) -> int:
    """The participant's unapplied money; ``lock`` holds their row until commit (PostgreSQL)."""
    suffix = " FOR UPDATE" if lock and conn.dialect.name == "postgresql" else ""
    found = conn.execute(
        text("SELECT balance FROM participant_credit WHERE participant_id = :p" + suffix), {"p": participant_id}
    ).scalar()
    return int(found or 0)


# The debit engine's postings, from its results (``tmp_results``): a succeeded attempt that paid its month
# credits the receivable; one whose month was settled meanwhile (``target = 'credit'``) is the
# participant's credit.
_DEBIT_RECEIPTS = """
INSERT INTO ledger_transfer (key, kind, debit_account, credit_account, amount, participant_id, contribution_id,
    attempt_id, posted_on, created_at)
SELECT 'debit:' || r.id, 'debit', 'gateway_clearing', {credit}, r.amount, r.participant_id, r.contribution_id,
    r.id, :today, :now
FROM tmp_results r WHERE r.status = 'succeeded' AND r.target {target}
"""

_CREDIT_FROM_RESULTS = """
INSERT INTO participant_credit (participant_id, balance)
SELECT r.participant_id, SUM(r.amount) FROM tmp_results r
WHERE r.status = 'succeeded' AND r.target = 'credit' GROUP BY r.participant_id
ON CONFLICT (participant_id) DO UPDATE SET balance = participant_credit.balance + excluded.balance
"""


def post_debit_receipts(conn: Connection, today: date, now: datetime, to_credit: bool) -> None:
    """Each succeeded attempt's receipt, keyed by the attempt: posted once however often it is resolved
    (the resolver keeps only the results that changed an attempt)."""
    params = {"today": today, "now": now}
    receivable = _DEBIT_RECEIPTS.format(credit="'contributions_receivable'", target="IS NULL")
    conn.execute(text(receivable), params)
    if to_credit:
        conn.execute(text(_DEBIT_RECEIPTS.format(credit="'participant_credit'", target="= 'credit'")), params)
        conn.execute(text(_CREDIT_FROM_RESULTS))
