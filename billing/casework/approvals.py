"""Maker-checker for waivers above ``BILLING_WAIVER_APPROVAL_ABOVE``: a request made by one finance
user (``actions.waive``) is approved or rejected by another finance or admin user, never by its maker.
Approval waives the month through the contribution service (what it owes then is written off, its
unsent attempts cancelled); rejection leaves it due. A request is decided once: the decision is a
conditional update from ``pending``, so of two checkers at once one wins and the other gets 409."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from billing import settings as app_settings
from billing.auth.models import ApiUser
from billing.casework.actions import Outcome, app_day, audit_case, check_actor, check_reason
from billing.casework.models import WaiverRequest, WaiverStatus
from billing.contributions import service as contributions
from billing.db import lock_rows
from billing.errors import Conflict, Forbidden, NotFound
from billing.timeutil import utcnow


@dataclass(frozen=True)
class Decision:
    request: WaiverRequest
    outcome: Outcome


def get(session: Session, request_id: int) -> WaiverRequest:
    found = session.get(WaiverRequest, request_id)
    if found is None:
        raise NotFound(
            f"Permintaan penghapusan {request_id} tidak ditemukan. / Waiver request {request_id} not found.",
            code="waiver_request_not_found",
        )
    return found


def pending(session: Session, limit: int = 200) -> list[WaiverRequest]:
    """Requests waiting for a checker, oldest first."""
    stmt = (
        select(WaiverRequest)
        .where(WaiverRequest.status == WaiverStatus.pending)
        .order_by(col(WaiverRequest.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def of_contribution(session: Session, contribution_id: int) -> list[WaiverRequest]:
    stmt = select(WaiverRequest).where(WaiverRequest.contribution_id == contribution_id).order_by(col(WaiverRequest.id))
    return list(session.exec(stmt).all())


def _decidable(session: Session, request_id: int, actor: ApiUser, reason: str) -> tuple[WaiverRequest, str]:
    check_actor(actor)
    why = check_reason(reason)
    lock_rows(session.connection(), "waiver_request", "id = :r", {"r": request_id})
    request = get(session, request_id)
    session.refresh(request)
    if request.status is not WaiverStatus.pending:
        raise _decided(request)
    if request.requested_by == actor.id:
        raise Forbidden(
            "Pembuat permintaan tidak boleh memutuskannya sendiri; minta pengguna keuangan lain. / "
            "The maker of a request cannot decide it; ask another finance user.",
            code="maker_cannot_decide",
        )
    return request, why


def _decided(request: WaiverRequest) -> Conflict:
    return Conflict(
        f"Permintaan {request.id} sudah diputuskan ({request.status}). / Request {request.id} was already "
        f"decided ({request.status}).",
        code="waiver_already_decided",
    )


def _decide(session: Session, request: WaiverRequest, actor: ApiUser, status: WaiverStatus, why: str) -> None:
    done = session.exec(
        update(WaiverRequest)
        .where(col(WaiverRequest.id) == request.id, col(WaiverRequest.status) == WaiverStatus.pending)
        .values(status=status, decided_by=actor.id, decided_at=utcnow(), decision_reason=why)
    )
    session.refresh(request)
    if done.rowcount != 1:
        raise _decided(request)


def approve(session: Session, request_id: int, actor: ApiUser, reason: str, *, today: date | None = None) -> Decision:
    request, why = _decidable(session, request_id, actor, reason)
    cid = request.contribution_id
    before = contributions.get(session, cid)
    state = {"status": str(before.status), "owed": before.amount_due - before.amount_paid}
    # Refused (409) when the month is no longer due: the request stays pending, to be rejected.
    waived = contributions.waive(session, cid, request.reason, app_day(today), app_settings.current().arrears_months)
    _decide(session, request, actor, WaiverStatus.approved, why)
    detail = {"waiver_request_id": request.id, "maker": request.requested_by, "written_off": state["owed"]}
    audit_case(session, actor, "waiver_approved", cid, why, state, {"status": str(waived.status), **detail})
    return Decision(request, Outcome("waiver_approved", cid, "waived", detail))


def reject(session: Session, request_id: int, actor: ApiUser, reason: str) -> Decision:
    request, why = _decidable(session, request_id, actor, reason)
    _decide(session, request, actor, WaiverStatus.rejected, why)
    detail = {"waiver_request_id": request.id, "maker": request.requested_by}
    audit_case(session, actor, "waiver_rejected", request.contribution_id, why, None, detail)
    return Decision(request, Outcome("waiver_rejected", request.contribution_id, "rejected", detail))
