"""Receipts: money received other than by a debit (an agent's cash, a branch's counter, a transfer),
recorded by staff with its receipt number (unique per channel) and paying the months it names in full.
A debit of the same month still at the gateway is left to finish: if it succeeds too, its money is
the participant's credit (``billing.payments.credit``), never lost and refundable."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from billing.contributions import settle
from billing.contributions.models import Contribution, ContributionStatus, PaidVia
from billing.db import violates
from billing.debits.guards import CancelReason, cancel_unsent
from billing.errors import Conflict, InvalidInput
from billing.failed_debits import sync as failed_debits
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import post
from billing.payments.models import Receipt, ReceiptChannel
from billing.timeutil import utcnow

ACCOUNT = {
    ReceiptChannel.agent: Account.cash_agent,
    ReceiptChannel.branch: Account.cash_branch,
    ReceiptChannel.bank_transfer: Account.bank_transfer,
    ReceiptChannel.history: Account.opening_balance,
}


def owed(contribution: Contribution) -> int:
    return contribution.amount_due - contribution.amount_paid


def _add(session: Session, receipt: Receipt) -> Receipt:
    """Flush a new receipt; 409 ``receipt_number_taken`` when its number is used on its channel."""
    session.add(receipt)
    try:
        session.flush()
    except IntegrityError as exc:
        if violates(exc, "uq_receipt_channel_number", "receipt.channel, receipt.number"):
            raise Conflict(
                f"Nomor kuitansi {receipt.number} sudah dipakai di kanal {receipt.channel}. / "
                f"Receipt number {receipt.number} is already used on channel {receipt.channel}.",
                code="receipt_number_taken",
            ) from exc
        raise
    return receipt


def record_for_sponsor(
    session: Session,
    *,
    channel: ReceiptChannel,
    number: str,
    amount: int,
    received_on: date,
    sponsor_id: int,
    recorded_by: str,
    today: date,
) -> Receipt:
    """A sponsor's money with its receipt, posted whole to the sponsor's account (``receipt:<id>:sponsor``);
    the sponsor's invoice then applies it to its members' months (``billing.sponsors.invoices``)."""
    receipt = _add(
        session,
        Receipt(
            channel=channel,
            number=number,
            amount=amount,
            received_on=received_on,
            sponsor_id=sponsor_id,
            recorded_by=recorded_by,
        ),
    )
    post(
        session.connection(),
        f"receipt:{receipt.id}:sponsor",
        TransferKind.receipt,
        ACCOUNT[channel],
        Account.sponsor_receivable,
        amount,
        today,
        receipt_id=receipt.id,
    )
    return receipt


def record(
    session: Session,
    *,
    channel: ReceiptChannel,
    number: str,
    amount: int,
    received_on: date,
    contributions: Sequence[Contribution],
    recorded_by: str,
    today: date,
    via: PaidVia = PaidVia.offline,
    sponsor_id: int | None = None,
) -> Receipt:
    """Pay ``contributions`` (all due) in full with one receipt of exactly what they owe; flushes."""
    not_due = [c for c in contributions if c.status is not ContributionStatus.due]
    if not_due:
        raise Conflict(
            f"Iuran {not_due[0].id} tidak terutang lagi ({not_due[0].status}). / "
            f"Contribution {not_due[0].id} is no longer due ({not_due[0].status}).",
            code="contribution_already_paid" if not_due[0].status is ContributionStatus.paid else "contribution_waived",
        )
    expected = sum(owed(c) for c in contributions)
    if amount != expected:
        raise InvalidInput(
            f"Jumlah harus Rp {expected:,} (yang terutang), bukan Rp {amount:,}. / "
            f"The amount must be Rp {expected:,} (what is owed), not Rp {amount:,}.".replace(",", "."),
            code="amount_mismatch",
            errors=[{"field": "amount", "message": f"expected {expected}", "type": "amount_mismatch"}],
        )
    participants = {c.participant_id for c in contributions}
    receipt = _add(
        session,
        Receipt(
            channel=channel,
            number=number,
            amount=amount,
            received_on=received_on,
            participant_id=participants.pop() if len(participants) == 1 else None,
            sponsor_id=sponsor_id,
            recorded_by=recorded_by,
        ),
    )
    assert receipt.id is not None
    conn = session.connection()
    now = utcnow()
    for c in contributions:
        assert c.id is not None
        share = owed(c)
        if not settle.pay(conn, c.id, share, via, received_on, now, number):
            raise Conflict(
                "Iuran berubah saat diproses; tidak ada yang dicatat, ulangi. / "
                "The contribution changed meanwhile; nothing was recorded, try again.",
                code="contribution_changed",
            )
        post(
            conn,
            f"receipt:{receipt.id}:{c.id}",
            TransferKind.receipt,
            ACCOUNT[channel],
            Account.contributions_receivable,
            share,
            today,
            participant_id=c.participant_id,
            contribution_id=c.id,
            receipt_id=receipt.id,
        )
    cancel_unsent(conn, [c.id for c in contributions if c.id is not None], CancelReason.contribution_settled, today)
    for c in contributions:
        session.expire(c)
    return receipt


_OWED = "SELECT COALESCE(SUM(c.amount_due - c.amount_paid), 0) FROM contribution c WHERE c.status = 'due' AND {where}"

_POST_ALL = """
INSERT INTO ledger_transfer (key, kind, debit_account, credit_account, amount, participant_id, contribution_id,
    receipt_id, posted_on, created_at)
SELECT 'receipt:' || :rid || ':' || c.id, 'receipt', :account, 'contributions_receivable', c.amount_due - c.amount_paid,
    c.participant_id, c.id, :rid, :today, :now
FROM contribution c WHERE c.status = 'due' AND {where}
"""

_PAY_ALL = """
UPDATE contribution AS c SET amount_paid = amount_due, status = 'paid', paid_via = :via, paid_on = {paid_on},
    paid_at = :now, receipt_number = :number
WHERE status = 'due' AND {where}
"""


def record_for_months(
    session: Session,
    *,
    channel: ReceiptChannel,
    number: str,
    where: str,
    params: dict[str, object],
    received_on: date,
    via: PaidVia,
    recorded_by: str,
    today: date,
    sponsor_id: int | None = None,
    paid_on_period: bool = False,
) -> int:
    """One receipt paying, set-based, every due contribution ``c`` matching ``where`` (SQL over ``c``)
    in full: a sponsor's transfer for its members' month, or an imported history. Returns how many
    months it paid; none (and no receipt) when nothing matches or the receipt number was used."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # The months stay as counted until commit: the receipt, its postings and the months agree.
        conn.execute(text(f"SELECT c.id FROM contribution c WHERE c.status = 'due' AND {where} FOR UPDATE"), params)
    total = int(conn.execute(text(_OWED.format(where=where)), params).scalar_one())
    taken = session.exec(select(Receipt.id).where(Receipt.channel == channel, Receipt.number == number)).first()
    if total <= 0 or taken is not None:
        return 0
    receipt = Receipt(
        channel=channel,
        number=number,
        amount=total,
        received_on=received_on,
        sponsor_id=sponsor_id,
        recorded_by=recorded_by,
    )
    session.add(receipt)
    session.flush()
    now = utcnow()
    bind = {**params, "rid": receipt.id, "account": ACCOUNT[channel].value, "today": today, "now": now}
    conn.execute(text(_POST_ALL.format(where=where)), bind)
    paid_on = "period" if paid_on_period else ":received_on"
    queued = failed_debits.queued_among(conn, f"SELECT c.participant_id FROM contribution c WHERE {where}", params)
    changed = conn.execute(
        text(_PAY_ALL.format(where=where, paid_on=paid_on)),
        {**params, "via": via.value, "now": now, "number": number, "received_on": received_on},
    ).rowcount
    failed_debits.participants(conn, queued)
    return int(changed)
