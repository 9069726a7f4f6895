"""Workers in the browser: the principal that stands for a participant on the self-service pages (a
``worker`` user with no token and no password: the code sent to the registered phone is the
credential), and its server-side sessions, kept with the staff's (``staff_session``) but under a cookie
of their own that opens only ``/saya``. Every function takes ``now``."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from billing.audit.service import record
from billing.auth.models import ApiUser, Role, StaffSession
from billing.auth.signin import live_session, open_session
from billing.settings import Settings

PRINCIPAL_NAME = "swalayan / self-service"


def principal(session: Session, participant_id: int, name: str) -> ApiUser:
    """The participant's self-service user, made at its first sign-in (audited). A revoked one stays
    revoked: its worker is refused."""
    user = session.exec(
        select(ApiUser).where(
            ApiUser.role == Role.worker,
            ApiUser.participant_id == participant_id,
            col(ApiUser.token_hash).is_(None),
            col(ApiUser.password_hash).is_(None),
        )
    ).first()
    if user is None:
        user = ApiUser(name=name[:120], role=Role.worker, participant_id=participant_id)
        session.add(user)
        session.flush()
        assert user.id is not None
        record(
            session,
            action="worker.principal_created",
            target=("participant", participant_id),
            after={"user_id": user.id},
            user=user,
        )
    return user


def start_session(session: Session, settings: Settings, user: ApiUser, ip: str | None, now: datetime) -> str:
    """A new session for a worker who proved their phone; returns the cookie's clear id."""
    clear = open_session(session, user, ip, now, timedelta(hours=settings.worker_session_hours))
    record(session, action="worker.sign_in", target=("participant", user.participant_id or 0), user=user)
    return clear


def resolve(session: Session, settings: Settings, clear: str, now: datetime) -> tuple[StaffSession, ApiUser] | None:
    found = live_session(session, clear, now, timedelta(minutes=settings.worker_idle_minutes), (Role.worker,))
    if found is None or found[1].participant_id is None:
        return None
    return found


def sign_out(session: Session, row: StaffSession, user: ApiUser, now: datetime) -> None:
    row.ended_at = now
    session.add(row)
    record(session, action="worker.sign_out", target=("participant", user.participant_id or 0), user=user)
