"""The only place that changes a participant's coverage status: it writes the event with the change."""

from datetime import date

from sqlmodel import Session

from billing.coverage.models import CoverageEvent, CoverageEventKind
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
