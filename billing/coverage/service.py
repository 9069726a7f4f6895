"""The only place that changes a participant's coverage status by hand (enrolment, cancellation,
re-registration): it writes the event with the change. Leaving and registering again are guarded
transitions: the status is changed only from the one read, so of two concurrent requests one wins
and the other gets 409. The nightly evaluation (``evaluation``) makes the lapse changes."""

from datetime import date

from sqlalchemy import text, update
from sqlmodel import Session, col

from billing.coverage.models import CoverageEvent, CoverageEventKind
from billing.errors import Conflict
from billing.failed_debits import sync as failed_debits
from billing.participants.models import CoverageStatus, Participant
from billing.timeutil import month_start

ENDED = (CoverageStatus.ended, CoverageStatus.cancelled)


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


def _not_active(participant: Participant) -> Conflict:
    return Conflict(
        f"Kepesertaan sudah {participant.status}. / Membership is already {participant.status}.",
        code="participant_not_active",
    )


def _not_ended() -> Conflict:
    return Conflict(
        "Hanya kepesertaan yang berakhir atau dibatalkan yang dapat didaftarkan ulang. / "
        "Only an ended or cancelled membership can be registered again.",
        code="participant_not_ended",
    )


def _transition(
    session: Session,
    participant: Participant,
    kind: CoverageEventKind,
    to_status: CoverageStatus,
    on: date,
    cause: str | None,
    **changes: object,
) -> CoverageEvent:
    """Change the status from the one read (a conditional UPDATE) and write its event; 409 when another
    change came first."""
    from_status = participant.status
    result = session.exec(
        update(Participant)
        .where(col(Participant.id) == participant.id, col(Participant.status) == from_status)
        .values(status=to_status, **changes)
    )
    session.refresh(participant)
    if result.rowcount != 1:
        raise Conflict(
            f"Kepesertaan berubah saat diproses (kini {participant.status}). / "
            f"The membership changed meanwhile (now {participant.status}).",
            code="participant_changed",
        )
    event = CoverageEvent(
        participant_id=participant.id or 0,
        occurred_on=on,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        cause=cause,
    )
    session.add(event)
    session.flush()
    return event


def cancel(
    session: Session, participant: Participant, on: date, actor: str, reason: str | None = None
) -> CoverageEvent:
    """A worker leaves voluntarily: coverage is cancelled and their live mandate revoked, so nothing
    more is debited (not even what was planned and not yet sent)."""
    from billing.debits.guards import CancelReason, cancel_unsent, contributions_of
    from billing.mandates import service as mandates
    from billing.mandates.lifecycle import MandateAction

    if participant.status in ENDED:
        raise _not_active(participant)
    event = _guarded(session, participant, CoverageEventKind.cancelled, CoverageStatus.cancelled, on, "voluntary")
    conn = session.connection()
    cancel_unsent(conn, contributions_of(conn, participant.id or 0), CancelReason.participant_ended, on)
    for mandate in mandates.live_of_participant(session, participant.id or 0):
        mandates.record_transition(session, mandate, MandateAction.revoke, reason or "voluntary", actor, on)
    return event


def reregister(session: Session, participant: Participant, on: date) -> CoverageEvent:
    """Paying after membership ended is a new registration, not a reactivation of the old cover: a
    fresh membership starts with ``on``'s month. The old one's months still due are ``lapsed``: they
    stay unpaid (uncovered) in its history and reports, and nothing (debit, credit, receipt) pays them."""
    from billing.debits.guards import CancelReason, cancel_unsent

    if participant.status not in ENDED:
        raise _not_ended()
    start = month_start(on)
    event = _guarded(
        session, participant, CoverageEventKind.reactivated, CoverageStatus.registered, on, None, membership_from=start
    )
    conn = session.connection()
    old = [
        r.id
        for r in conn.execute(
            text("SELECT id FROM contribution WHERE participant_id = :p AND status = 'due' AND period < :start"),
            {"p": participant.id, "start": start},
        )
    ]
    cancel_unsent(conn, old, CancelReason.participant_ended, on)
    conn.execute(
        text("UPDATE contribution SET status = 'lapsed' WHERE participant_id = :p AND status = 'due' AND period < :s"),
        {"p": participant.id, "s": start},
    )
    failed_debits.participants(conn, [participant.id or 0])
    return event


def _guarded(
    session: Session,
    participant: Participant,
    kind: CoverageEventKind,
    to_status: CoverageStatus,
    on: date,
    cause: str | None,
    **changes: object,
) -> CoverageEvent:
    try:
        return _transition(session, participant, kind, to_status, on, cause, **changes)
    except Conflict:
        # The loser of a race: say what the winner left, as a request made after it would hear.
        if kind is CoverageEventKind.cancelled and participant.status in ENDED:
            raise _not_active(participant) from None
        if kind is CoverageEventKind.reactivated and participant.status not in ENDED:
            raise _not_ended() from None
        raise


def ensure_payable(participant: Participant, period: date) -> None:
    """Money for a month of an ended membership is refused: coverage can only come back by registering
    again (and then only for the new membership's months)."""
    if participant.status in ENDED or period < participant.membership_from:
        raise Conflict(
            f"Bulan {period:%Y-%m} termasuk kepesertaan yang sudah berakhir; daftar ulang dulu. / "
            f"{period:%Y-%m} belongs to a membership that has ended; register again first.",
            code="membership_ended",
        )


def reopen_stopped(session: Session, participant_id: int, on: date) -> int:
    """A new working mandate: the months of the current membership still due whose retries had stopped
    (a hard failure, too many attempts) are debited again from ``on``. Returns how many."""
    result = session.connection().execute(
        text(
            """UPDATE debit_schedule SET stopped_reason = NULL, next_debit_on = :on
               WHERE stopped_reason IS NOT NULL AND contribution_id IN (
                 SELECT c.id FROM contribution c JOIN participant p ON p.id = c.participant_id
                 WHERE c.participant_id = :p AND c.status = 'due' AND c.payer = 'self'
                   AND c.period >= p.membership_from AND p.status IN ('registered', 'active', 'in_arrears'))"""
        ),
        {"p": participant_id, "on": on},
    )
    conn = session.connection()
    # The queue shows the mandate too: rebuilt when months reopened or the worker has rows in it (a
    # new worker's first mandate, the common case, has none).
    queued = conn.execute(text("SELECT 1 FROM failed_debit WHERE participant_id = :p LIMIT 1"), {"p": participant_id})
    if result.rowcount or queued.first() is not None:
        failed_debits.participants(conn, [participant_id])
    return int(result.rowcount)
