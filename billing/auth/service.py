"""Users: tokens (random, shown once, stored hashed) and browser logins (argon2 hashes)."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from billing.audit.service import record
from billing.auth.models import PASSWORD_ROLES, ApiUser, Role, StaffSession
from billing.auth.passwords import hash_password
from billing.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from billing.participants.models import Participant
from billing.timeutil import utcnow

TOKEN_PREFIX = "bk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normal(login: str | None) -> str | None:
    login = (login or "").strip().lower()
    return login or None


def _check_login_free(session: Session, username: str | None, email: str | None) -> None:
    taken = [v for v in (username, email) if v]
    if (
        taken
        and session.exec(
            select(ApiUser).where(or_(col(ApiUser.username).in_(taken), col(ApiUser.email).in_(taken)))
        ).first()
    ):
        raise Conflict("Nama pengguna atau email sudah dipakai. / The username or email is taken.", code="login_taken")


def create_user(
    session: Session,
    *,
    role: Role,
    name: str,
    participant_id: int | None = None,
    username: str | None = None,
    email: str | None = None,
    password: str | None = None,
    token: bool = True,
) -> tuple[ApiUser, str | None]:
    """Create a user; returns it and the clear token (None without one), which is not kept anywhere.
    A password (with a username or email) makes a browser login; only staff roles get one."""
    if role is Role.worker:
        if participant_id is None:
            raise InvalidInput("Token pekerja wajib punya peserta. / A worker token needs --participant.")
        if session.get(Participant, participant_id) is None:
            raise NotFound(f"Peserta {participant_id} tidak ada. / Participant {participant_id} not found.")
    elif participant_id is not None:
        raise InvalidInput("Hanya token pekerja yang terikat ke peserta. / Only worker tokens bind a participant.")
    username, email = _normal(username), _normal(email)
    if email is not None and "@" not in email:
        raise InvalidInput("Email tidak valid. / The email is invalid.", code="invalid_email")
    if username is not None and "@" in username:
        raise InvalidInput("Nama pengguna tanpa '@'. / A username has no '@'.", code="invalid_username")
    wants_login = password is not None or username is not None or email is not None
    if wants_login and (password is None or (username is None and email is None)):
        raise InvalidInput(
            "Login butuh kata sandi dan nama pengguna atau email. / A login needs a password and a username or email.",
            code="incomplete_login",
        )
    if wants_login and role not in PASSWORD_ROLES:
        raise InvalidInput(
            "Hanya staf dan agen yang bisa login di peramban. / Only staff and agents sign in in the browser."
        )
    if not wants_login and not token:
        raise InvalidInput("Pengguna tanpa token dan tanpa login. / A user needs a token or a login.")
    _check_login_free(session, username, email)
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32) if token else None
    user = ApiUser(
        name=name,
        role=role,
        participant_id=participant_id,
        token_hash=hash_token(clear) if clear else None,
        token_prefix=clear[:10] if clear else None,
        username=username,
        email=email,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    record(
        session,
        action="users.create",
        target=("api_user", user.id),
        after={"name": name, "role": str(role), "username": username, "email": email, "token": clear is not None},
    )
    return user, clear


def find_user(session: Session, ref: str) -> ApiUser:
    """A user by id, username or email."""
    login = _normal(ref) or ""
    stmt = select(ApiUser).where(or_(ApiUser.username == login, ApiUser.email == login))
    if ref.isdigit():
        stmt = select(ApiUser).where(ApiUser.id == int(ref))
    user = session.exec(stmt).first()
    if user is None:
        raise NotFound(f"Pengguna {ref!r} tidak ada. / User {ref!r} not found.", code="user_not_found")
    return user


def list_users(session: Session) -> list[ApiUser]:
    return list(session.exec(select(ApiUser).order_by(col(ApiUser.id))).all())


def end_sessions(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id, col(StaffSession.ended_at).is_(None))
        .values(ended_at=now)
    )


def revoke(session: Session, user: ApiUser, reason: str | None = None) -> None:
    """The token stops working and the browser sessions end; the row stays (audit records name it)."""
    if user.revoked_at is not None:
        raise Conflict(f"Pengguna {user.id} sudah dicabut. / User {user.id} is already revoked.", code="revoked")
    now = utcnow()
    user.revoked_at = now
    session.add(user)
    assert user.id is not None
    end_sessions(session, user.id, now)
    record(session, action="users.revoke", target=("api_user", user.id), reason=reason)


def set_password(session: Session, user: ApiUser, password: str, reason: str | None = None) -> None:
    """A new password ends every session of the user and lifts a lockout."""
    if user.role not in PASSWORD_ROLES:
        raise InvalidInput(
            "Hanya staf dan agen yang bisa login di peramban. / Only staff and agents sign in in the browser."
        )
    if user.username is None and user.email is None:
        raise InvalidInput(
            "Pengguna ini tidak punya nama pengguna atau email. / This user has no username or email.",
            code="incomplete_login",
        )
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    assert user.id is not None
    end_sessions(session, user.id, utcnow())
    record(session, action="users.set_password", target=("api_user", user.id), reason=reason)


def authenticate(session: Session, header: str | None) -> ApiUser:
    # The scheme name is case-insensitive (RFC 9110 §11.1): "bearer x" is as good as "Bearer x".
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Sertakan header 'Authorization: Bearer <token>'. / Send 'Authorization: Bearer <token>'.",
            code="missing_token",
        )
    user = session.exec(select(ApiUser).where(ApiUser.token_hash == hash_token(token))).first()
    if user is None or user.revoked_at is not None:
        raise Unauthenticated("Token tidak valid. / The token is invalid.", code="invalid_token")
    return user
