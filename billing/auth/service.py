"""Tokens: random, shown once, stored hashed."""

import hashlib
import secrets

from sqlmodel import Session, select

from billing.auth.models import ApiUser, Role
from billing.errors import InvalidInput, NotFound, Unauthenticated
from billing.participants.models import Participant

TOKEN_PREFIX = "bk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, *, role: Role, name: str, participant_id: int | None = None) -> tuple[ApiUser, str]:
    """Create a token holder; returns the user and the clear token, which is not kept anywhere."""
    if role is Role.worker:
        if participant_id is None:
            raise InvalidInput("Token pekerja wajib punya peserta. / A worker token needs --participant.")
        if session.get(Participant, participant_id) is None:
            raise NotFound(f"Peserta {participant_id} tidak ada. / Participant {participant_id} not found.")
    elif participant_id is not None:
        raise InvalidInput("Hanya token pekerja yang terikat ke peserta. / Only worker tokens bind a participant.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = ApiUser(
        name=name,
        role=role,
        participant_id=participant_id,
        token_hash=hash_token(token),
        token_prefix=token[:10],
    )
    session.add(user)
    session.flush()
    return user, token


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
