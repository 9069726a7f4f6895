"""When a member's coverage would end if nothing more is paid: the lapse rules of ``evaluation`` read
forward for one participant (the case page, a reminder's deadline)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, text

from billing.contributions.due_dates import due_date_for
from billing.timeutil import add_months


@dataclass(frozen=True, slots=True)
class Outlook:
    status: str
    unpaid_from: date | None  # the oldest month of the membership not covered
    # The last day its arrears may be paid (as the coverage notices say), and the day the nightly
    # evaluation ends the membership unless they are; None when it has ended.
    pay_by: date | None
    ends_on: date | None


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def outlook(conn: Connection, participant_id: int, arrears_months: int) -> Outlook:
    """Membership ends once more than ``arrears_months`` due months in a row are uncovered, counted from
    the oldest uncovered one U: on the due date of month U + ``arrears_months``."""
    p = conn.execute(text("SELECT status, membership_from FROM participant WHERE id = :p"), {"p": participant_id}).one()
    if p.status in ("ended", "cancelled"):
        return Outlook(p.status, None, None, None)
    start = _as_date(p.membership_from)
    months = {
        _as_date(period): status
        for period, status in conn.execute(
            text("SELECT period, status FROM contribution WHERE participant_id = :p AND period >= :s"),
            {"p": participant_id, "s": start},
        )
    }
    # A month with no contribution is not covered either (as in the evaluation).
    unpaid = start
    while months.get(unpaid) in ("paid", "waived"):
        unpaid = add_months(unpaid, 1)
    last = add_months(unpaid, arrears_months)
    return Outlook(p.status, unpaid, last - timedelta(days=1), due_date_for(last))
