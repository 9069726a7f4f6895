"""Mandates: creation, payment-detail changes and status changes, each written with its audit event."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing.coverage.service import reopen_stopped
from billing.db import violates
from billing.debits.guards import CancelReason, cancel_unsent, contributions_of
from billing.errors import Conflict, InvalidInput, NotFound
from billing.mandates.lifecycle import MandateAction, target
from billing.mandates.models import LIVE_STATUSES, Mandate, MandateEvent, MandateStatus
from billing.mandates.schemas import MandateCreate, MandateQuery, MandateUpdate
from billing.pagination import paginate
from billing.participants.models import Participant
from billing.sponsors.models import Sponsor, SponsorStatus
from billing.timeutil import utcnow

SYSTEM = "system"
CLOSED = (MandateStatus.revoked, MandateStatus.expired)


def _owner_label(participant_id: int | None, sponsor_id: int | None) -> str:
    return f"peserta/participant {participant_id}" if participant_id else f"sponsor {sponsor_id}"


def _live_mandate(session: Session, participant_id: int | None, sponsor_id: int | None) -> int | None:
    owner = Mandate.participant_id == participant_id if participant_id else Mandate.sponsor_id == sponsor_id
    return session.exec(select(Mandate.id).where(owner, col(Mandate.status).in_(LIVE_STATUSES))).first()


def live_of_participant(session: Session, participant_id: int) -> list[Mandate]:
    return list(
        session.exec(
            select(Mandate).where(Mandate.participant_id == participant_id, col(Mandate.status).in_(LIVE_STATUSES))
        ).all()
    )


def _already_live(data: MandateCreate, existing: int | None) -> Conflict:
    which = f" ({existing})" if existing else ""
    return Conflict(
        f"{_owner_label(data.participant_id, data.sponsor_id)} sudah punya mandat yang berlaku{which}; "
        f"cabut dulu. / {_owner_label(data.participant_id, data.sponsor_id)} already has a live mandate{which}; "
        "revoke it first.",
        code="mandate_already_live",
    )


def _check_owner(session: Session, data: MandateCreate) -> None:
    if data.participant_id is not None:
        if session.get(Participant, data.participant_id) is None:
            raise InvalidInput(
                f"Peserta {data.participant_id} tidak ada. / Participant {data.participant_id} does not exist.",
                code="unknown_participant",
                errors=[{"field": "participant_id", "message": "peserta tidak ada / participant does not exist"}],
            )
        return
    sponsor = session.get(Sponsor, data.sponsor_id)
    if sponsor is None:
        raise InvalidInput(
            f"Sponsor {data.sponsor_id} tidak ada. / Sponsor {data.sponsor_id} does not exist.",
            code="unknown_sponsor",
            errors=[{"field": "sponsor_id", "message": "sponsor tidak ada / sponsor does not exist"}],
        )
    if sponsor.status == SponsorStatus.stopped:
        raise Conflict(
            f"Sponsor {sponsor.id} sudah berhenti. / Sponsor {sponsor.id} has stopped.", code="sponsor_stopped"
        )


def _event(
    mandate: Mandate, from_status: MandateStatus | None, reason: str | None, actor: str, on: date
) -> MandateEvent:
    assert mandate.id is not None
    return MandateEvent(
        mandate_id=mandate.id,
        from_status=from_status,
        to_status=mandate.status,
        reason=reason,
        actor=actor,
        occurred_on=on,
    )


def create(session: Session, data: MandateCreate, actor: str, on: date) -> Mandate:
    """A new mandate starts ``pending`` until the gateway/OTP confirms the consent."""
    _check_owner(session, data)
    if (existing := _live_mandate(session, data.participant_id, data.sponsor_id)) is not None:
        raise _already_live(data, existing)
    now = utcnow()
    mandate = Mandate(**data.model_dump(), status=MandateStatus.pending, consent_at=now, created_at=now, updated_at=now)
    session.add(mandate)
    try:
        session.flush()
    except IntegrityError as exc:
        # Two creations racing: the partial unique index lets one through.
        if violates(
            exc,
            "uq_mandate_live_participant",
            "uq_mandate_live_sponsor",
            "mandate.participant_id",
            "mandate.sponsor_id",
        ):
            raise _already_live(data, None) from exc
        raise
    session.add(_event(mandate, None, "created", actor, on))
    session.flush()
    return mandate


def get(session: Session, mandate_id: int) -> Mandate:
    mandate = session.get(Mandate, mandate_id)
    if mandate is None:
        raise NotFound(
            f"Mandat {mandate_id} tidak ditemukan. / Mandate {mandate_id} not found.", code="mandate_not_found"
        )
    return mandate


def search(session: Session, q: MandateQuery) -> tuple[list[Mandate], int]:
    stmt = select(Mandate).order_by(col(Mandate.id))
    if q.participant_id:
        stmt = stmt.where(Mandate.participant_id == q.participant_id)
    if q.sponsor_id:
        stmt = stmt.where(Mandate.sponsor_id == q.sponsor_id)
    if q.status:
        stmt = stmt.where(Mandate.status == q.status)
    return paginate(session, stmt, q)


def update(session: Session, mandate_id: int, data: MandateUpdate, actor: str, on: date) -> Mandate:
    """Change the debit day or payment details of a live mandate; the event names the changed fields.
    A new payment method is a new consent: the mandate waits (``pending``) until the gateway or an
    OTP confirms the new binding, and nothing planned on the old method is sent."""
    mandate = get(session, mandate_id)
    if mandate.status in CLOSED:
        raise Conflict(
            f"Mandat {mandate_id} sudah {mandate.status}; buat mandat baru. / "
            f"Mandate {mandate_id} is {mandate.status}; create a new one.",
            code="mandate_closed",
        )
    fields = sorted(data.model_fields_set)
    rebinding = "payment_method" in fields and data.payment_method != mandate.payment_method
    for name in fields:
        setattr(mandate, name, getattr(data, name))
    mandate.updated_at = utcnow()
    session.add(mandate)
    if rebinding:
        mandate.consent_at = mandate.updated_at
        record_transition(session, mandate, MandateAction.rebind, "updated: " + ", ".join(fields), actor, on)
        return mandate
    session.add(_event(mandate, mandate.status, "updated: " + ", ".join(fields), actor, on))
    session.flush()
    return mandate


def _invalid(mandate: Mandate, action: MandateAction, to: MandateStatus) -> Conflict:
    return Conflict(
        f"Mandat {mandate.id} tidak bisa {action}: dari {mandate.status} ke {to} tidak diizinkan. / "
        f"Mandate {mandate.id} cannot {action}: {mandate.status} to {to} is not allowed.",
        code="invalid_mandate_transition",
        errors=[
            {
                "field": "status",
                "message": f"{mandate.status} -> {to}",
                "from_status": str(mandate.status),
                "to_status": str(to),
                "action": str(action),
            }
        ],
    )


def record_transition(
    session: Session, mandate: Mandate, action: MandateAction, reason: str | None, actor: str, on: date
) -> Mandate:
    """Apply ``action`` inside the caller's transaction (flushes, does not commit)."""
    to, allowed = target(action, mandate.status)
    if not allowed:
        raise _invalid(mandate, action, to)
    now = utcnow()
    changes: dict[str, object] = {"status": to, "status_reason": reason, "updated_at": now}
    if to is MandateStatus.revoked:
        changes["revoked_at"] = now
    from_status = mandate.status
    # Conditional on the status we read: of two concurrent changes only one applies.
    result = session.exec(
        sql_update(Mandate).where(col(Mandate.id) == mandate.id, col(Mandate.status) == from_status).values(**changes)
    )
    if result.rowcount != 1:
        session.refresh(mandate)
        raise _invalid(mandate, action, to)
    session.refresh(mandate)
    session.add(_event(mandate, from_status, reason, actor, on))
    session.flush()
    if to is MandateStatus.active and mandate.participant_id is not None:
        # A new working mandate after a hard failure: the months whose retries stopped are billed again.
        reopen_stopped(session, mandate.participant_id, on)
    if to is not MandateStatus.active and mandate.participant_id is not None:
        conn = session.connection()
        why = CancelReason.payment_method_changed if action is MandateAction.rebind else CancelReason.mandate_inactive
        cancel_unsent(conn, contributions_of(conn, mandate.participant_id), why, on)
    return mandate


def transition(
    session: Session, mandate_id: int, action: MandateAction, reason: str | None, actor: str, on: date
) -> Mandate:
    """One status change per the transition table, with its event; 409 if not allowed."""
    return record_transition(session, get(session, mandate_id), action, reason, actor, on)


def suspend_for_failure(session: Session, mandate_id: int, failure_code: str, on: date) -> Mandate:
    """Suspend an active mandate with the failure code as its reason, inside the caller's transaction.
    A mandate that is not active is returned unchanged, so a job that runs twice, or a late failure
    after a revoke, changes nothing."""
    mandate = get(session, mandate_id)
    if mandate.status != MandateStatus.active:
        return mandate
    return record_transition(session, mandate, MandateAction.suspend, failure_code, SYSTEM, on)


def suspend_for_failures(conn: Connection, failures: Sequence[tuple[int, str]], on: date) -> int:
    """For the debit engine, set-based inside its transaction: suspend each active mandate that a hard
    failure names, with the code as its reason and its event. Returns how many were suspended."""
    first: dict[int, str] = {}
    for mandate_id, code in failures:
        first.setdefault(mandate_id, code)
    now = utcnow()
    done = 0
    for mandate_id, code in first.items():
        changed = conn.execute(
            sql_update(Mandate)
            .where(col(Mandate.id) == mandate_id, col(Mandate.status) == MandateStatus.active)
            .values(status=MandateStatus.suspended, status_reason=code, updated_at=now)
        ).rowcount
        if changed:
            conn.execute(
                sql_insert(MandateEvent).values(
                    mandate_id=mandate_id,
                    from_status=MandateStatus.active,
                    to_status=MandateStatus.suspended,
                    reason=code,
                    actor=SYSTEM,
                    occurred_on=on,
                    created_at=now,
                )
            )
            done += 1
    return done


def events(session: Session, mandate_id: int) -> list[MandateEvent]:
    get(session, mandate_id)
    stmt = select(MandateEvent).where(MandateEvent.mandate_id == mandate_id).order_by(col(MandateEvent.id))
    return list(session.exec(stmt).all())
