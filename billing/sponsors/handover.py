"""When a sponsor stops, its members pay for themselves from its first unpaid month on. The months it
paid stay paid (and covered); every month still billed to it and unpaid becomes the member's own:
priced again at the self-pay tariff of that month (with any PP 50/2025 discount then valid for the
member's sector), payer ``self``. Its open invoices lose those lines, and each member is told the new
amount and how to start an auto-debit. Nobody's membership ends here: unpaid months lapse it only by
the normal arrears rule."""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from billing.contributions.models import Contribution, ContributionStatus
from billing.db import lock_rows
from billing.debits.guards import CancelReason, cancel_unsent
from billing.notices.models import NoticeKind
from billing.notices.service import queue
from billing.participants.models import Participant, SectorCategory
from billing.sponsors.invoices import refresh_sponsor
from billing.sponsors.models import Payer, Sponsor
from billing.tariffs.service import load_tariff
from billing.tariffs.tariff import Tariff
from billing.timeutil import utcnow

CHUNK = 1000  # keeps each IN (...) list under SQLite's and PostgreSQL's bind-parameter limits


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def hand_over(session: Session, sponsor: Sponsor, on: date) -> int:
    """Make the stopped ``sponsor``'s unpaid months its members' own; returns how many months changed."""
    assert sponsor.id is not None
    conn = session.connection()
    # The sponsor's invoices are locked first: a charge being handed to the gateway finishes, or waits.
    lock_rows(conn, "sponsor_invoice", "sponsor_id = :s", {"s": sponsor.id})
    conn.execute(
        text(
            "UPDATE sponsor_invoice_attempt SET status = 'cancelled', cancel_reason = 'sponsor_stopped',"
            " resolved_at = :now WHERE status = 'pending' AND sent_at IS NULL"
            " AND invoice_id IN (SELECT id FROM sponsor_invoice WHERE sponsor_id = :s)"
        ),
        {"s": sponsor.id, "now": utcnow()},
    )
    rows = session.exec(
        select(Contribution, Participant)
        .join(Participant, col(Participant.id) == Contribution.participant_id)
        .where(
            Contribution.sponsor_id == sponsor.id,
            Contribution.status == ContributionStatus.due,
            # Sponsor money pays whole months, so an unpaid month holds none; a month holding a worker's
            # own part-payment keeps its price rather than owing less than was paid.
            Contribution.amount_paid == 0,
        )
        .order_by(col(Contribution.participant_id), col(Contribution.period))
    ).all()
    tariffs: dict[date, Tariff] = {}
    updates: list[dict[str, Any]] = []
    new_lines: list[dict[str, Any]] = []
    first: dict[int, tuple[date, int]] = {}
    for c, p in rows:
        tariff = tariffs.get(c.period) or tariffs.setdefault(c.period, load_tariff(session, c.period))
        quote = tariff.quote(p.declared_income, p.jht, SectorCategory(p.sector_category), Payer.self)
        updates.append({"cid": c.id, "amount": quote.total})
        new_lines += [
            {
                "cid": c.id,
                "program": line.program.value,
                "base": line.base_amount,
                "discount": line.discount_amount,
                "amount": line.amount,
            }
            for line in quote.lines
        ]
        first.setdefault(c.participant_id, (c.period, quote.total))
    if updates:
        conn.execute(
            text("UPDATE contribution SET amount_due = :amount, payer = 'self', sponsor_id = NULL WHERE id = :cid"),
            updates,
        )
        ids = [u["cid"] for u in updates]
        delete = text("DELETE FROM contribution_line WHERE contribution_id IN :ids")
        for chunk in _chunks(ids):
            conn.execute(delete.bindparams(bindparam("ids", expanding=True)), {"ids": list(chunk)})
            cancel_unsent(conn, chunk, CancelReason.amount_changed, on)
        conn.execute(
            text(
                "INSERT INTO contribution_line (contribution_id, program, base_amount, discount_amount, amount)"
                " VALUES (:cid, :program, :base, :discount, :amount)"
            ),
            new_lines,
        )
    for participant_id, (period, amount) in first.items():
        queue(
            conn,
            participant_id,
            NoticeKind.sponsor_stopped,
            f"sponsor_stopped:{sponsor.id}:{participant_id}",
            {"sponsor": sponsor.name, "period": period.isoformat(), "amount": amount},
        )
    refresh_sponsor(conn, sponsor.id)
    for c, _ in rows:
        session.expire(c)
    return len(updates)
