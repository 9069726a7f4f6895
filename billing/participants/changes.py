"""Changing a participant's declared income or programmes from a month on.

The change is kept (``participant_profile_change``) and prices every month from ``effective_from``
until a later change; the months before keep the profile they had, so the first change also records
the profile held until then (from the enrolment month). Months already generated and still due from
``effective_from`` are priced again in the same transaction, their unsent debit attempts cancelled;
paid months are left as paid."""

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from billing.contributions.models import Contribution
from billing.contributions.pricing import due_from, quote_month, set_price
from billing.debits.guards import CancelReason, cancel_unsent
from billing.errors import Conflict, InvalidInput
from billing.participants.models import CoverageStatus, Participant, ParticipantProfileChange
from billing.participants.schemas import ProfileChangeBody, programs_to_jht
from billing.payments import credit
from billing.sponsors.models import Payer
from billing.tariffs.service import load_tariff
from billing.timeutil import month_start

ENROLMENT = "enrolment"
CLOSED = (CoverageStatus.ended, CoverageStatus.cancelled)


def history(session: Session, participant_id: int) -> list[ParticipantProfileChange]:
    return list(
        session.exec(
            select(ParticipantProfileChange)
            .where(ParticipantProfileChange.participant_id == participant_id)
            .order_by(col(ParticipantProfileChange.effective_from), col(ParticipantProfileChange.id))
        ).all()
    )


def _check(participant: Participant, month: date, today: date) -> None:
    if participant.status in CLOSED:
        raise Conflict(
            f"Kepesertaan {participant.id} sudah {participant.status}. / "
            f"Participant {participant.id}'s membership is {participant.status}.",
            code="participant_not_billable",
        )
    # Past months are settled history (arrears are owed as they were priced); this month is still due.
    if month < month_start(today):
        raise InvalidInput(
            f"effective_from paling awal {today:%Y-%m}: bulan yang lalu tidak diubah. / "
            f"effective_from must be {today:%Y-%m} or later: past months are not changed.",
            code="effective_from_in_past",
            errors=[{"field": "effective_from", "message": "month in the past", "type": "effective_from_in_past"}],
        )


def change(
    session: Session, participant: Participant, body: ProfileChangeBody, actor: str, today: date
) -> tuple[ParticipantProfileChange, list[date]]:
    """Record the change and price the generated due months from it again; returns the change and the
    months whose price changed."""
    assert participant.id is not None
    # One change of a participant at a time (PostgreSQL; SQLite has one writer anyway).
    session.refresh(participant, with_for_update=True)
    month = body.month
    _check(participant, month, today)
    past = history(session, participant.id)
    if not past:
        session.add(_row(participant, _first_month(session, participant, month), *_columns(participant), ENROLMENT))
    income, jht = _profile_at(past, participant, month)
    row = _row(
        participant,
        month,
        body.declared_income if body.declared_income is not None else income,
        programs_to_jht(list(body.programs)) if body.programs is not None else jht,
        actor,
    )
    session.add(row)
    session.flush()
    _columns_follow_latest(session, participant)
    assert row.id is not None
    return row, _reprice(session, participant, month, row.id, today)


def _columns(participant: Participant) -> tuple[int, bool]:
    return participant.declared_income, participant.jht


def _first_month(session: Session, participant: Participant, month: date) -> date:
    """The first month the profile held until now priced: enrolment, or an earlier month on record."""
    earliest = session.exec(
        select(func.min(Contribution.period)).where(Contribution.participant_id == participant.id)
    ).one()
    return min(d for d in (month_start(participant.enrolled_on), earliest, month) if d is not None)


def _row(participant: Participant, month: date, income: int, jht: bool, actor: str) -> ParticipantProfileChange:
    assert participant.id is not None
    return ParticipantProfileChange(
        participant_id=participant.id, effective_from=month, declared_income=income, jht=jht, changed_by=actor
    )


def _profile_at(past: list[ParticipantProfileChange], participant: Participant, month: date) -> tuple[int, bool]:
    # ``past`` is ordered by month, then id: the last one not after ``month`` is in force.
    in_force = [c for c in past if c.effective_from <= month]
    if not in_force:
        return _columns(participant)
    return in_force[-1].declared_income, in_force[-1].jht


def _columns_follow_latest(session: Session, participant: Participant) -> None:
    """The participant's own columns hold the profile of the latest month declared (what they will pay
    from then on); months before it are priced from the history."""
    assert participant.id is not None
    latest = history(session, participant.id)[-1]
    participant.declared_income, participant.jht = latest.declared_income, latest.jht
    session.add(participant)
    session.flush()


def _reprice(session: Session, participant: Participant, month: date, change_id: int, today: date) -> list[date]:
    assert participant.id is not None
    conn = session.connection()
    changed: list[date] = []
    changed_ids: list[int] = []
    excess = 0
    for contribution in due_from(session, participant.id, month):
        assert contribution.id is not None
        quote = quote_month(session, load_tariff(session, contribution.period), participant, Payer(contribution.payer))
        if quote.total == contribution.amount_due:
            continue
        moved = set_price(conn, contribution, quote, today, f"repriced:{contribution.id}:{change_id}")
        if moved is None:
            continue
        excess += moved
        changed.append(contribution.period)
        changed_ids.append(contribution.id)
    cancel_unsent(conn, changed_ids, CancelReason.amount_changed, today)
    if excess:
        credit.apply(conn, [participant.id], today)
    # The rows were written in SQL: what the session holds of them is stale.
    session.expire_all()
    return changed
