"""Sponsor invoices: one per sponsor and month, its lines its members' contributions of that month with
the sponsor as payer (each priced at generation at the sponsor's tariff).

Money for an invoice (a bank transfer recorded by finance, or a charge through the sponsor's mandate)
is first posted whole to the sponsor's ledger account and held on the invoice as ``unapplied``; it is
then applied to the due lines in a stable order, by participant id (then contribution id), each month
paid in full while the money lasts. A remainder smaller than the next month stays unapplied until the
next payment adds to it."""

from datetime import date
from typing import Any

from sqlalchemy import Connection, literal_column, text
from sqlmodel import Session, col, select

from billing.contributions.models import Contribution
from billing.db import lock_rows
from billing.errors import InvalidInput, NotFound
from billing.failed_debits import sync as failed_debits
from billing.ledger.models import Account
from billing.pagination import PageQuery, paginate
from billing.participants.models import Participant
from billing.payments.models import ReceiptChannel
from billing.payments.receipts import record_for_sponsor
from billing.sponsors.models import InvoiceAttempt, SponsorInvoice
from billing.timeutil import month_start, utcnow

_CREATE = """
INSERT INTO sponsor_invoice (sponsor_id, period, member_count, total, amount_paid, unapplied, status, created_at)
SELECT c.sponsor_id, c.period, COUNT(*), SUM(c.amount_due), 0, 0, 'open', :now
FROM contribution c JOIN sponsor s ON s.id = c.sponsor_id AND s.status = 'active'
WHERE c.period = :period AND c.sponsor_id IS NOT NULL
GROUP BY c.sponsor_id, c.period
ON CONFLICT (sponsor_id, period) DO NOTHING
"""

_LINES = "FROM contribution c WHERE c.sponsor_id = sponsor_invoice.sponsor_id AND c.period = sponsor_invoice.period"

# Invoices follow their lines: a member's month generated later joins (a paid invoice is open again
# until it is paid too), one handed back to its member leaves. Void ones are closed for good.
_REFRESH = f"""
UPDATE sponsor_invoice SET member_count = (SELECT COUNT(*) {_LINES}),
    total = (SELECT COALESCE(SUM(c.amount_due), 0) {_LINES}),
    status = CASE WHEN EXISTS (SELECT 1 {_LINES} AND c.status = 'due') THEN 'open' ELSE status END,
    paid_at = CASE WHEN EXISTS (SELECT 1 {_LINES} AND c.status = 'due') THEN NULL ELSE paid_at END
WHERE status <> 'void' AND {{where}}
"""

# An open invoice with no line left is void; one whose lines are all settled is paid.
_CLOSE = f"""
UPDATE sponsor_invoice SET
    status = CASE WHEN member_count = 0 THEN 'void' ELSE 'paid' END,
    paid_at = CASE WHEN member_count = 0 THEN NULL ELSE :now END
WHERE status = 'open' AND {{where}} AND NOT EXISTS (SELECT 1 {_LINES} AND c.status = 'due')
"""

OWED = """(SELECT COALESCE(SUM(c.amount_due - c.amount_paid), 0) FROM contribution c
    WHERE c.sponsor_id = {i}.sponsor_id AND c.period = {i}.period AND c.status = 'due') - {i}.unapplied"""

# The due lines the money pays: in participant order, each in full, while the running sum fits.
_CHOSEN = """
SELECT l.id, l.participant_id, l.owed FROM (
    SELECT c.id, c.participant_id, c.amount_due - c.amount_paid AS owed,
           SUM(c.amount_due - c.amount_paid) OVER (ORDER BY c.participant_id, c.id) AS running
    FROM contribution c WHERE c.sponsor_id = :sponsor AND c.period = :period AND c.status = 'due') l
WHERE l.running <= :available
"""

_POST_APPLIED = f"""
INSERT INTO ledger_transfer (key, kind, debit_account, credit_account, amount, participant_id, contribution_id,
    receipt_id, posted_on, created_at)
SELECT 'sponsor:' || :invoice || ':' || l.id, 'sponsor_applied', '{Account.sponsor_receivable.value}',
    '{Account.contributions_receivable.value}', l.owed, l.participant_id, l.id, :receipt_id, :today, :now
FROM ({_CHOSEN}) l
"""

_PAY_CHOSEN = f"""
UPDATE contribution SET amount_paid = amount_due, status = 'paid', paid_via = 'sponsor', paid_on = :paid_on,
    paid_at = :now, receipt_number = :number
WHERE id IN (SELECT l.id FROM ({_CHOSEN}) l)
"""


def create_for_period(session: Session, period: date) -> int:
    """The invoices of ``period``'s month of every active sponsor with members billed that month;
    returns how many were new. Idempotent: a rerun creates none and brings the others up to date."""
    conn = session.connection()
    params = {"period": month_start(period), "now": utcnow()}
    created = int(conn.execute(text(_CREATE), params).rowcount)
    conn.execute(text(_REFRESH.format(where="period = :period")), params)
    conn.execute(text(_CLOSE.format(where="period = :period")), params)
    return created


def refresh_sponsor(conn: Connection, sponsor_id: int) -> None:
    """After the sponsor's lines changed (it stopped): totals follow them, and emptied invoices close."""
    params = {"sponsor": sponsor_id, "now": utcnow()}
    conn.execute(text(_REFRESH.format(where="sponsor_id = :sponsor")), params)
    conn.execute(text(_CLOSE.format(where="sponsor_id = :sponsor")), params)


def lock(conn: Connection, invoice_id: int) -> None:
    """Serialises everything that moves an invoice's money."""
    lock_rows(conn, "sponsor_invoice", "id = :i", {"i": invoice_id})


def owed(conn: Connection, invoice_id: int) -> int:
    """What the invoice still asks for: its due lines less the money it holds unapplied."""
    sql = f"SELECT {OWED.format(i='sponsor_invoice')} FROM sponsor_invoice WHERE id = :i"
    return int(conn.execute(text(sql), {"i": invoice_id}).scalar_one())


def receive(
    conn: Connection,
    invoice: SponsorInvoice,
    amount: int,
    today: date,
    number: str,
    receipt_id: int | None = None,
) -> int:
    """Money already posted to the sponsor's account, for ``invoice`` (locked by the caller): held on it,
    then applied to its due lines as far as it goes. Returns how many months it paid."""
    assert invoice.id is not None
    now = utcnow()
    conn.execute(
        text("UPDATE sponsor_invoice SET amount_paid = amount_paid + :a, unapplied = unapplied + :a WHERE id = :i"),
        {"a": amount, "i": invoice.id},
    )
    available = int(
        conn.execute(text("SELECT unapplied FROM sponsor_invoice WHERE id = :i"), {"i": invoice.id}).scalar_one()
    )
    chosen = {"sponsor": invoice.sponsor_id, "period": invoice.period, "available": available}
    months, applied = conn.execute(text(f"SELECT COUNT(*), COALESCE(SUM(l.owed), 0) FROM ({_CHOSEN}) l"), chosen).one()
    if months:
        bind = {**chosen, "invoice": invoice.id, "receipt_id": receipt_id, "today": today, "now": now}
        conn.execute(text(_POST_APPLIED), bind)
        # Sponsored months are never debited from the worker (planning takes self-paid ones only), so
        # there is no attempt of theirs to cancel; a member's own failed months may start later now.
        queued = failed_debits.queued_among(conn, f"SELECT l.participant_id FROM ({_CHOSEN}) l", chosen)
        conn.execute(text(_PAY_CHOSEN), {**chosen, "paid_on": today, "now": now, "number": number})
        failed_debits.participants(conn, queued)
        conn.execute(
            text("UPDATE sponsor_invoice SET unapplied = unapplied - :a WHERE id = :i"),
            {"a": int(applied), "i": invoice.id},
        )
    conn.execute(text(_CLOSE.format(where="id = :i")), {"i": invoice.id, "now": now})
    return int(months)


def get(session: Session, sponsor_id: int, period: date) -> SponsorInvoice:
    invoice = session.exec(
        select(SponsorInvoice).where(SponsorInvoice.sponsor_id == sponsor_id, SponsorInvoice.period == period)
    ).first()
    if invoice is None:
        raise NotFound(
            f"Tagihan sponsor {sponsor_id} untuk {period:%Y-%m} tidak ditemukan. / "
            f"Sponsor {sponsor_id} has no invoice for {period:%Y-%m}.",
            code="invoice_not_found",
        )
    return invoice


def pay_by_transfer(
    session: Session,
    sponsor_id: int,
    period: date,
    *,
    receipt_number: str,
    amount: int,
    received_on: date,
    recorded_by: str,
    today: date,
) -> SponsorInvoice:
    """A bank transfer for the invoice, recorded by finance: at most what it still owes (422
    ``amount_exceeds_invoice``); a partial one pays the months it covers, the rest waits unapplied."""
    if received_on > today:
        raise InvalidInput(
            "Tanggal terima tidak boleh di masa depan. / The date received cannot be in the future.",
            code="received_on_in_future",
            errors=[{"field": "received_on", "message": "in the future", "type": "received_on_in_future"}],
        )
    invoice = get(session, sponsor_id, month_start(period))
    assert invoice.id is not None
    conn = session.connection()
    lock(conn, invoice.id)
    session.refresh(invoice)
    left = owed(conn, invoice.id)
    if amount > left:
        raise InvalidInput(
            f"Jumlah Rp {amount:,} melebihi sisa tagihan Rp {left:,}. / "
            f"The amount Rp {amount:,} exceeds what the invoice owes, Rp {left:,}.".replace(",", "."),
            code="amount_exceeds_invoice",
            errors=[{"field": "amount", "message": f"at most {left}", "type": "amount_exceeds_invoice"}],
        )
    receipt = record_for_sponsor(
        session,
        channel=ReceiptChannel.bank_transfer,
        number=receipt_number,
        amount=amount,
        received_on=received_on,
        sponsor_id=sponsor_id,
        recorded_by=recorded_by,
        today=today,
    )
    receive(conn, invoice, amount, received_on, receipt_number, receipt.id)
    session.refresh(invoice)
    return invoice


def search(session: Session, sponsor_id: int, q: PageQuery) -> tuple[list[tuple[SponsorInvoice, int]], int]:
    """A page of the sponsor's invoices, newest month first, each with what it still owes."""
    owed_col: Any = literal_column(OWED.format(i="sponsor_invoice")).label("owed")
    stmt = (
        select(SponsorInvoice, owed_col)
        .where(SponsorInvoice.sponsor_id == sponsor_id)
        .order_by(col(SponsorInvoice.period).desc())
    )
    rows, total = paginate(session, stmt, q)
    return [(invoice, int(left)) for invoice, left in rows], total


def lines(session: Session, invoice: SponsorInvoice, q: PageQuery) -> tuple[list[Any], int]:
    """A page of the invoice's lines, in the order its money is applied."""
    stmt = (
        select(
            col(Contribution.id).label("contribution_id"),
            Contribution.participant_id,
            Participant.full_name,
            Contribution.amount_due,
            Contribution.amount_paid,
            Contribution.status,
            Contribution.payer,
        )
        .join(Participant, col(Participant.id) == Contribution.participant_id)
        .where(Contribution.sponsor_id == invoice.sponsor_id, Contribution.period == invoice.period)
        .order_by(col(Contribution.participant_id), col(Contribution.id))
    )
    return paginate(session, stmt, q)


def charges_of(session: Session, invoice_id: int) -> list[InvoiceAttempt]:
    """The invoice's charges through the sponsor's mandate, oldest first."""
    stmt = select(InvoiceAttempt).where(InvoiceAttempt.invoice_id == invoice_id).order_by(col(InvoiceAttempt.id))
    return list(session.exec(stmt).all())
