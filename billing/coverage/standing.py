"""A participant's standing as they read it on their phone: until when they are covered, what they owe
and by when to keep the membership, and the next debit. Read only; the rules are the coverage
evaluation's (``evaluation``): a month is covered when paid or waived, cover runs from the start of the
membership through the last of an unbroken run of covered months, and arrears can be paid until the
end of the ``arrears_months``-th month after the last covered one (the date the notices name)."""

import calendar
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from billing.contributions.models import Contribution, ContributionStatus
from billing.contributions.pricing import quote_month
from billing.debits.models import DebitSchedule
from billing.ledger.service import credit_balance
from billing.mandates.models import Mandate, MandateStatus
from billing.notices.texts import pay_by
from billing.participants.models import CoverageStatus, Participant
from billing.sponsors.models import Payer
from billing.tariffs.service import load_tariff
from billing.timeutil import add_months, month_start

COVERED = (ContributionStatus.paid, ContributionStatus.waived)


@dataclass(frozen=True)
class NextDebit:
    on: date
    amount: int
    period: date
    account: str  # the mandate's display, e.g. "BRI ••••1234"


@dataclass(frozen=True)
class Standing:
    status: CoverageStatus
    covered_until: date | None  # the last day of cover (None: no month of this membership covered)
    arrears: list[Contribution]  # months already due and unpaid, oldest first
    upcoming: Contribution | None  # the oldest unpaid month whose due date has not come yet
    pay_by: date | None  # the arrears paid by then keep the membership
    next_debit: NextDebit | None
    retries_stopped: bool  # the oldest unpaid month is no longer debited (pay it now, or a new account)
    mandate: Mandate | None  # the live one, if any
    credit: int  # unapplied money, paying the next months

    @property
    def owed(self) -> int:
        return sum(c.amount_due - c.amount_paid for c in self.arrears)


def _last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def read(session: Session, participant: Participant, today: date, arrears_months: int) -> Standing:
    assert participant.id is not None
    months = session.exec(
        select(Contribution)
        .where(Contribution.participant_id == participant.id, col(Contribution.period) >= participant.membership_from)
        .order_by(col(Contribution.period))
    ).all()
    covered: date | None = None
    expected = participant.membership_from
    for c in months:
        if c.period != expected or c.status not in COVERED:
            break
        covered, expected = c.period, add_months(c.period, 1)
    arrears = [c for c in months if c.status is ContributionStatus.due and c.due_date <= today]
    upcoming = next((c for c in months if c.status is ContributionStatus.due and c.due_date > today), None)
    mandate = session.exec(
        select(Mandate)
        .where(
            Mandate.participant_id == participant.id,
            col(Mandate.status).in_((MandateStatus.pending, MandateStatus.active, MandateStatus.suspended)),
        )
        .order_by(col(Mandate.id).desc())
    ).first()
    ended = participant.status in (CoverageStatus.ended, CoverageStatus.cancelled)
    next_debit, stopped = (None, False) if ended else _next_debit(session, participant, months, mandate, today)
    return Standing(
        status=participant.status,
        covered_until=_last_day(covered) if covered else None,
        arrears=[] if ended else arrears,
        upcoming=None if ended else upcoming,
        pay_by=pay_by(add_months(arrears[0].period, -1), arrears_months) if arrears and not ended else None,
        next_debit=next_debit,
        retries_stopped=stopped,
        mandate=mandate,
        credit=credit_balance(session.connection(), participant.id),
    )


def _next_debit(
    session: Session, participant: Participant, months: list[Contribution], mandate: Mandate | None, today: date
) -> tuple[NextDebit | None, bool]:
    if mandate is None or mandate.status is not MandateStatus.active:
        return None, False
    due = next((c for c in months if c.status is ContributionStatus.due and c.payer == Payer.self), None)
    if due is not None:
        assert due.id is not None
        schedule = session.get(DebitSchedule, due.id)
        if schedule is not None and schedule.stopped_reason is not None:
            return None, True
        planned = due.period.replace(day=mandate.debit_day)
        on = schedule.next_debit_on if schedule is not None and schedule.next_debit_on else planned
        amount = due.amount_due - due.amount_paid
        return NextDebit(max(on, today), amount, due.period, mandate.display), False
    # Nothing due: the first month from this one on that is not paid yet (maybe not generated yet).
    have = {c.period: c for c in months}
    period = month_start(today)
    while period in have and have[period].status in COVERED:
        period = add_months(period, 1)
    if period in have:  # a sponsor's month: not debited from the worker
        return None, False
    amount = quote_month(session, load_tariff(session, period), participant, Payer.self).total
    return NextDebit(max(period.replace(day=mandate.debit_day), today), amount, period, mandate.display), False
