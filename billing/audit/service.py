"""Writing and reading the audit trail. ``record`` adds a row to the caller's session (it commits with
the caller's work); ``record_apart`` commits one on its own, for refusals whose request is rolled back."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from billing.audit.models import AuditRecord
from billing.auth.models import ApiUser
from billing.db import unit_of_work

Target = tuple[str, str | int]


def _who(user: ApiUser | None) -> tuple[int | None, str | None]:
    if user is None and has_request_context():
        user = g.get("user")
    if user is None:
        return None, None
    return user.id, str(user.role)


def build(
    *,
    action: str,
    target: Target | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    user: ApiUser | None = None,
    status: int | None = None,
    who: tuple[int | None, str | None] | None = None,
) -> AuditRecord:
    """A record naming the signed-in user (or ``user``, or ``who``: id and role), the request id and the
    caller's address."""
    user_id, role = who if who is not None else _who(user)
    entry = AuditRecord(
        user_id=user_id,
        role=role,
        action=action,
        target_type=target[0] if target else None,
        target_id=str(target[1]) if target else None,
        before=before,
        after=after,
        reason=reason,
        status=status,
        channel="cli",
    )
    if has_request_context():
        entry.at = current_app.extensions["billing.now"]()  # the clock sessions and lockouts are judged by
        # The API and its webhooks, or a page (the staff workspace, the workers' self-service pages).
        entry.channel = "api" if request.path.startswith("/api/") else "web"
        entry.request_id = g.get("request_id")
        entry.source_ip = request.remote_addr
    return entry


def record(
    session: Session,
    *,
    action: str,
    target: Target | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    user: ApiUser | None = None,
) -> AuditRecord:
    """Audit a staff action inside the caller's transaction: the record exists if and only if the action
    was committed."""
    entry = build(action=action, target=target, before=before, after=after, reason=reason, user=user)
    session.add(entry)
    session.flush()
    return entry


def record_apart(bind: Engine, entry: AuditRecord) -> None:
    """Commit ``entry`` in a short transaction of its own: a refused request still leaves its record."""
    with unit_of_work(bind) as session:
        session.add(entry)


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def _select(f: AuditFilter, before_id: int | None) -> Any:
    stmt = select(AuditRecord)
    if f.user_id is not None:
        stmt = stmt.where(AuditRecord.user_id == f.user_id)
    if f.action:
        # A prefix: "staff." lists every sign-in event, "participants." every participant write.
        stmt = stmt.where(col(AuditRecord.action).startswith(f.action, autoescape=True))
    if f.target_type:
        stmt = stmt.where(AuditRecord.target_type == f.target_type)
    if f.target_id:
        stmt = stmt.where(AuditRecord.target_id == f.target_id)
    if f.since is not None:
        stmt = stmt.where(col(AuditRecord.at) >= f.since)
    if f.until is not None:
        stmt = stmt.where(col(AuditRecord.at) < f.until)
    if before_id is not None:
        stmt = stmt.where(col(AuditRecord.id) < before_id)
    return stmt.order_by(col(AuditRecord.id).desc())


def page(session: Session, f: AuditFilter, before_id: int | None, limit: int) -> tuple[list[AuditRecord], int | None]:
    """Newest first, keyset-paginated by id: one page and the cursor of the next (None on the last)."""
    rows = list(session.exec(_select(f, before_id).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def stream(session: Session, f: AuditFilter, batch: int = 500) -> Iterator[AuditRecord]:
    """Every matching record, newest first, read a batch at a time (the CSV export)."""
    cursor: int | None = None
    while True:
        rows, cursor = page(session, f, cursor, batch)
        yield from rows
        if cursor is None:
            return
