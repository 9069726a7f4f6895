"""PP 50/2025: "months paid at full price inside a discount window become credit for later months".

A month inside a discount window that applies to its participant and payer (the tariff's discount rules:
window, sector category, excluded payers), but priced without the discount (prepaid before the
regulation, or generated before the rule's row existed), is priced again at the discounted price. What
was paid beyond it goes to the participant's credit (``discount_credit:<contribution id>``, posted once)
and pays their next due months (``credit.apply``); a due month simply owes less. Run daily and after a
tariff row is added; a month once discounted is not found again."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlmodel import Session, col, select

from billing.contributions.models import Contribution
from billing.contributions.pricing import quote_month, set_price
from billing.debits.guards import CancelReason, cancel_unsent
from billing.participants.models import Participant
from billing.payments import credit
from billing.sponsors.models import Payer
from billing.tariffs.service import load_tariff
from billing.tariffs.tariff import Tariff

# Months a discount rule covers for their participant and payer, none of whose lines is discounted yet.
_UNDISCOUNTED = """
SELECT c.id FROM contribution c JOIN participant p ON p.id = c.participant_id
WHERE c.status IN ('due', 'paid')
  AND EXISTS (
    SELECT 1 FROM tariff_discount_rule r
    WHERE r.valid_from <= c.period AND (r.valid_to IS NULL OR c.period <= r.valid_to)
      AND (r.sector_category IS NULL OR r.sector_category = p.sector_category)
      AND (r.exclude_sector_category IS NULL OR r.exclude_sector_category <> p.sector_category)
      AND ',' || REPLACE(r.exclude_payers, ' ', '') || ',' NOT LIKE '%,' || c.payer || ',%')
  AND NOT EXISTS (SELECT 1 FROM contribution_line l WHERE l.contribution_id = c.id AND l.discount_amount > 0)
ORDER BY c.id
"""


# Keeps an explicit id list under the bind-parameter limits of SQLite and PostgreSQL.
ID_CHUNK = 1000


@dataclass(frozen=True)
class Granted:
    months: int  # months priced down
    credited: int  # rupiah paid beyond the discounted price, now credit
    applied: int  # rupiah of credit that paid due months


def grant(session: Session, today: date) -> Granted:
    """Inside the caller's transaction."""
    conn = session.connection()
    ids = [row[0] for row in conn.execute(text(_UNDISCOUNTED))]
    if not ids:
        return Granted(0, 0, 0)
    tariffs: dict[date, Tariff] = {}
    repriced: list[int] = []
    credited_to: set[int] = set()
    credited = 0
    for contribution, participant in _load(session, ids):
        assert contribution.id is not None
        tariff = tariffs.get(contribution.period) or tariffs.setdefault(
            contribution.period, load_tariff(session, contribution.period)
        )
        quote = quote_month(session, tariff, participant, Payer(contribution.payer))
        if quote.total >= contribution.amount_due:
            continue
        excess = set_price(conn, contribution, quote, today, f"discount_credit:{contribution.id}")
        if excess is None:
            continue
        repriced.append(contribution.id)
        if excess:
            credited += excess
            credited_to.add(contribution.participant_id)
    cancel_unsent(conn, repriced, CancelReason.amount_changed, today)
    applied = credit.apply(conn, credited_to, today)
    # The rows were written in SQL: what the session holds of them is stale.
    session.expire_all()
    return Granted(len(repriced), credited, applied)


def _load(session: Session, ids: list[int]) -> Iterator[tuple[Contribution, Participant]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield from session.exec(
            select(Contribution, Participant)
            .join(Participant, col(Participant.id) == Contribution.participant_id)
            .where(col(Contribution.id).in_(ids[start : start + ID_CHUNK]))
            .order_by(col(Contribution.id))
        ).all()
