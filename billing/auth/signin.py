"""Browser sign-in: lockout after repeated failures (per account and per address), server-side
sessions that end after inactivity and absolutely. Every function takes ``now``: tests move it."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from billing.audit.models import AuditRecord
from billing.audit.service import record
from billing.auth import passwords
from billing.auth.models import PASSWORD_ROLES, ApiUser, Role, StaffSession
from billing.auth.service import hash_token
from billing.observability import redact
from billing.settings import Settings

FAILED = "staff.sign_in_failed"
# last_seen_at is written at most this often: not one UPDATE per page view.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in was refused: ``locked`` (429) or ``bad_credentials`` (401)."""

    code: str
    until: datetime | None = None


def _ip_failures(session: Session, ip: str | None, since: datetime) -> int:
    if ip is None:
        return 0
    stmt = select(func.count()).where(
        AuditRecord.source_ip == ip, AuditRecord.action == FAILED, col(AuditRecord.at) > since
    )
    return int(session.exec(stmt).one())


def _find(session: Session, login: str) -> ApiUser | None:
    login = login.strip().lower()
    if not login:
        return None
    column = ApiUser.email if "@" in login else ApiUser.username
    return session.exec(select(ApiUser).where(column == login)).first()


def sign_in(
    session: Session, settings: Settings, login: str, password: str, ip: str | None, now: datetime
) -> tuple[ApiUser, str] | Refusal:
    """The user and the clear session id, or why not. The caller commits either way: failures count."""
    window = timedelta(minutes=settings.staff_lockout_minutes)
    if _ip_failures(session, ip, now - window) >= settings.staff_login_ip_max_failures:
        record(session, action="staff.sign_in_locked", after={"login": redact(login[:80]), "by": "ip"})
        return Refusal("locked", now + window)
    user = _find(session, login)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        record(session, action="staff.sign_in_locked", target=("api_user", user.id or 0), user=user)
        return Refusal("locked", user.locked_until)
    if user is None or user.revoked_at is not None or user.role not in PASSWORD_ROLES:
        passwords.verify(None, password)  # as slow as a wrong password: no hint that the name is unknown
        record(session, action=FAILED, after={"login": redact(login[:80])})
        return Refusal("bad_credentials")
    if not passwords.verify(user.password_hash, password):
        user.failed_logins += 1
        record(session, action=FAILED, target=("api_user", user.id or 0), user=user)
        if user.failed_logins >= settings.staff_login_max_failures:
            user.failed_logins = 0
            user.locked_until = now + window
            record(session, action="staff.lockout", target=("api_user", user.id or 0), user=user)
        session.add(user)
        return Refusal("bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.add(user)
    clear = open_session(session, user, ip, now, timedelta(hours=settings.staff_session_hours))
    record(session, action="staff.sign_in", target=("api_user", user.id or 0), user=user)
    return user, clear


def open_session(session: Session, user: ApiUser, ip: str | None, now: datetime, length: timedelta) -> str:
    """A new browser session of ``user`` ending ``length`` after ``now``; returns the cookie's clear id."""
    assert user.id is not None
    clear = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            user_id=user.id,
            token_hash=hash_token(clear),
            created_at=now,
            last_seen_at=now,
            expires_at=now + length,
            source_ip=ip,
        )
    )
    return clear


def resolve(session: Session, settings: Settings, clear: str, now: datetime) -> tuple[StaffSession, ApiUser] | None:
    """The live session with this id and its user; None when unknown, ended, idle too long, past its
    absolute end, or its user revoked."""
    return live_session(session, clear, now, timedelta(minutes=settings.staff_idle_minutes), PASSWORD_ROLES)


def live_session(
    session: Session, clear: str, now: datetime, idle: timedelta, roles: tuple[Role, ...]
) -> tuple[StaffSession, ApiUser] | None:
    """A browser session of one of ``roles`` (staff, or a worker signed in by a code), still live."""
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == hash_token(clear))).first()
    if row is None or row.ended_at is not None or now >= row.expires_at:
        return None
    if now - row.last_seen_at >= idle:
        return None
    user = session.get(ApiUser, row.user_id)
    if user is None or user.revoked_at is not None or user.role not in roles:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return row, user


def sign_out(session: Session, row: StaffSession, user: ApiUser, now: datetime) -> None:
    row.ended_at = now
    session.add(row)
    record(session, action="staff.sign_out", target=("api_user", user.id or 0), user=user)
