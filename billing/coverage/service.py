"""The only place that changes a participant's coverage status: it writes the event with the change."""

from datetime import date

from sqlmodel import Session

from billing.coverage.models import CoverageEvent, CoverageEventKind
from billing.errors import Conflict
from billing.participants.models import CoverageStatus, Participant


def record(
    session: Session,
    participant: Participant,
    kind: CoverageEventKind,
    to_status: CoverageStatus,
    on: date,
    cause: str | None = None,
) -> CoverageEvent:
    assert participant.id is not None
    event = CoverageEvent(
        participant_id=participant.id,
        occurred_on=on,
        kind=kind,
        from_status=None if kind is CoverageEventKind.enrolled else participant.status,
        to_status=to_status,
        cause=cause,
    )
    participant.status = to_status
    session.add(participant)
    session.add(event)
    return event


def cancel(
    session: Session, participant: Participant, on: date, actor: str, reason: str | None = None
) -> CoverageEvent:
    """A worker leaves voluntarily: coverage is cancelled and their live mandate revoked, so nothing
    more is debited (not even what was planned and not yet sent)."""
    from billing.debits.guards import CancelReason, cancel_unsent, contributions_of
    from billing.mandates import service as mandates
    from billing.mandates.lifecycle import MandateAction

    if participant.status in (CoverageStatus.ended, CoverageStatus.cancelled):
        raise Conflict(
            f"Kepesertaan sudah {participant.status}. / Membership is already {participant.status}.",
            code="participant_not_active",
        )
    conn = session.connection()
    cancel_unsent(conn, contributions_of(conn, participant.id or 0), CancelReason.participant_ended, on)
    for mandate in mandates.live_of_participant(session, participant.id or 0):
        mandates.record_transition(session, mandate, MandateAction.revoke, reason or "voluntary", actor, on)
    return record(session, participant, CoverageEventKind.cancelled, CoverageStatus.cancelled, on, "voluntary")


def reregister(session: Session, participant: Participant, on: date) -> CoverageEvent:
    """Paying after membership ended is a new registration, not a reactivation of the old cover."""
    if participant.status not in (CoverageStatus.ended, CoverageStatus.cancelled):
        raise Conflict(
            "Hanya kepesertaan yang berakhir atau dibatalkan yang dapat didaftarkan ulang. / "
            "Only an ended or cancelled membership can be registered again.",
            code="participant_not_ended",
        )
    return record(session, participant, CoverageEventKind.reactivated, CoverageStatus.registered, on)
