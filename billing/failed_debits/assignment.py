"""Who works on which failed month: assigning and unassigning, each month audited with the reason."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from billing.audit.service import record
from billing.auth.models import ApiUser, Role
from billing.contributions.models import Contribution
from billing.db import lock_rows
from billing.errors import Conflict, InvalidInput, NotFound
from billing.failed_debits.models import CaseAssignment, FailedDebit
from billing.timeutil import utcnow

# Who may be given a case: the roles that may open the queue.
ASSIGNABLE = (Role.finance, Role.admin)
MAX_REASON = 500


def checked_reason(reason: str | None) -> str:
    """A staff action's reason: required, at most ``MAX_REASON`` characters."""
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise InvalidInput(
            f"Alasan wajib diisi (paling banyak {MAX_REASON} karakter). / "
            f"A reason is required (at most {MAX_REASON} characters).",
            code="reason_required",
            errors=[{"field": "reason", "message": "required, 1-500 characters", "type": "value_error"}],
        )
    return text


def assignees(session: Session) -> list[ApiUser]:
    """The staff a case may be given to: finance and admin users not revoked, by name."""
    stmt = (
        select(ApiUser)
        .where(col(ApiUser.role).in_(ASSIGNABLE), col(ApiUser.revoked_at).is_(None))
        .order_by(col(ApiUser.name), col(ApiUser.id))
    )
    return list(session.exec(stmt).scalars())  # type: ignore[call-overload]


def _assignee(session: Session, assignee_id: int) -> ApiUser:
    user = session.get(ApiUser, assignee_id)
    if user is None or user.revoked_at is not None or user.role not in ASSIGNABLE:
        raise InvalidInput(
            "Kasus hanya dapat ditugaskan ke petugas keuangan atau admin yang aktif. / "
            "A case can only be given to an active finance or admin user.",
            code="invalid_assignee",
            errors=[{"field": "assignee_id", "message": "not an active finance or admin user", "type": "value_error"}],
        )
    return user


def assign(
    session: Session,
    contribution_ids: Sequence[int],
    assignee_id: int | None,
    actor: ApiUser,
    reason: str,
    now: datetime | None = None,
) -> int:
    """Give these months to ``assignee_id`` (None: take them back), one audit record a month; returns how
    many. Refused, with nothing written: an unknown month (404), giving a month that is not in the
    queue (409 ``not_in_queue``), a month already so (409 ``already_assigned`` / ``not_assigned``)."""
    reason = checked_reason(reason)
    if assignee_id is not None:
        _assignee(session, assignee_id)
    now = now or utcnow()
    conn = session.connection()
    for cid in contribution_ids:
        if session.get(Contribution, cid) is None:
            raise NotFound(
                f"Iuran {cid} tidak ditemukan. / Contribution {cid} not found.", code="contribution_not_found"
            )
        # Two people assigning one month: the second waits and then sees the first one's choice.
        lock_rows(conn, "contribution", "id = :cid", {"cid": cid})
        current = session.get(CaseAssignment, cid, populate_existing=True)
        was = current.assignee_id if current else None
        if was == assignee_id:
            if assignee_id is None:
                raise Conflict(
                    f"Iuran {cid} belum ditugaskan. / Contribution {cid} is not assigned.", code="not_assigned"
                )
            raise Conflict(
                f"Iuran {cid} sudah ditugaskan ke petugas {assignee_id}. / "
                f"Contribution {cid} is already assigned to user {assignee_id}.",
                code="already_assigned",
            )
        if assignee_id is None:
            session.exec(delete(CaseAssignment).where(col(CaseAssignment.contribution_id) == cid))  # type: ignore[call-overload]
        else:
            if session.get(FailedDebit, cid) is None:
                raise Conflict(
                    f"Iuran {cid} tidak ada di antrean debit gagal. / Contribution {cid} is not in the failed-debit "
                    "queue.",
                    code="not_in_queue",
                )
            row = current or CaseAssignment(
                contribution_id=cid, assignee_id=assignee_id, assigned_by=0, assigned_at=now
            )
            row.assignee_id, row.assigned_by, row.assigned_at = assignee_id, actor.id or 0, now
            session.add(row)
        session.flush()
        record(
            session,
            action="case.assign" if assignee_id is not None else "case.unassign",
            target=("contribution", cid),
            before={"assignee_id": was},
            after={"assignee_id": assignee_id},
            reason=reason,
            user=actor,
        )
    return len(contribution_ids)
