"""Issuing and checking one-time codes. Every function takes ``now`` (tests move it).

- A code is six random digits, stored as an HMAC keyed with the server's secret and bound to its
  challenge; it expires after ``otp_ttl_minutes`` and dies after ``otp_max_attempts`` wrong tries.
  A code that worked never works again.
- At most ``otp_sends_per_hour`` codes per NIK or phone number and ``otp_ip_sends_per_hour`` per
  address; ``otp_lockout_failures`` wrong codes for one NIK or number within ``otp_lockout_minutes``
  lock it for that long.
- A NIK or number nobody is enrolled with gets a challenge like any other (its code is sent to no
  one), so the answers, the limits and the work done are the same: nothing tells whether it is
  enrolled. The caller renders one page for both."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from billing.otp.models import OtpChallenge, OtpPurpose
from billing.otp.senders import OtpMessage, OtpSender
from billing.settings import Settings

CODE_DIGITS = 6


@dataclass(frozen=True)
class Refusal:
    """Why no code was sent or accepted. ``code``: ``too_many_sends`` or ``locked`` (with ``until``),
    ``wrong_code`` (``left``: tries left), ``expired``, ``used``, ``too_many_attempts``, ``unknown``."""

    code: str
    until: datetime | None = None
    left: int | None = None


def subject(settings: Settings, kind: str, value: str) -> str:
    """The HMAC that stands for a NIK (``kind`` "nik") or an E.164 number ("phone") in the limits."""
    return hmac.new(settings.secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _code_hash(settings: Settings, challenge_id: int, code: str) -> str:
    message = f"otp:{challenge_id}:{code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _locked_until(session: Session, settings: Settings, who: str, now: datetime) -> datetime | None:
    """When a lockout of ``who`` ends: wrong codes in the window reached the limit (None: not locked)."""
    window = timedelta(minutes=settings.otp_lockout_minutes)
    rows = session.exec(
        select(OtpChallenge.attempts, OtpChallenge.created_at).where(
            OtpChallenge.subject == who, col(OtpChallenge.created_at) > now - window, col(OtpChallenge.attempts) > 0
        )
    ).all()
    if sum(attempts for attempts, _ in rows) < settings.otp_lockout_failures:
        return None
    return max(at for _, at in rows) + window


def issue(
    session: Session,
    settings: Settings,
    sender: OtpSender,
    *,
    purpose: OtpPurpose,
    who: str,
    phone: str | None,
    participant_id: int | None,
    ip: str | None,
    now: datetime,
    text: str,
    payload: dict[str, Any] | None = None,
) -> OtpChallenge | Refusal:
    """Write a challenge and send its code to ``phone`` (None: a stranger's NIK or number, sent nowhere).
    ``text`` holds ``{code}``. The caller commits either way (a refusal writes nothing)."""
    hour = now - timedelta(hours=1)
    until = _locked_until(session, settings, who, now)
    if until is not None:
        return Refusal("locked", until)
    limits = [(col(OtpChallenge.subject) == who, settings.otp_sends_per_hour)]
    if ip is not None:
        limits.append((col(OtpChallenge.source_ip) == ip, settings.otp_ip_sends_per_hour))
    for whose, most in limits:
        sent = session.exec(
            select(OtpChallenge.created_at)
            .where(whose, col(OtpChallenge.created_at) > hour)
            .order_by(col(OtpChallenge.created_at))
        ).all()
        if len(sent) >= most:
            return Refusal("too_many_sends", sent[0] + timedelta(hours=1))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = OtpChallenge(
        purpose=purpose,
        subject=who,
        participant_id=participant_id,
        code_hash="",
        created_at=now,
        expires_at=now + timedelta(minutes=settings.otp_ttl_minutes),
        source_ip=ip,
        payload=payload,
    )
    session.add(challenge)
    session.flush()
    assert challenge.id is not None
    challenge.code_hash = _code_hash(settings, challenge.id, code)
    session.add(challenge)
    session.flush()
    if phone is not None:
        sender.send(OtpMessage(phone, code, text.format(code=code), purpose, challenge.id))
    return challenge


def verify(
    session: Session, settings: Settings, challenge_id: int | None, code: str, purpose: OtpPurpose, now: datetime
) -> OtpChallenge | Refusal:
    """The challenge whose code this is (now used), or why not. A wrong code counts; the caller commits
    either way. Only a challenge with a participant (or a phone to verify) can ever succeed."""
    challenge = session.get(OtpChallenge, challenge_id) if challenge_id is not None else None
    if challenge is None or challenge.purpose is not purpose:
        return Refusal("unknown")
    # One check of a challenge at a time (PostgreSQL): two guesses racing count as two.
    session.refresh(challenge, with_for_update=True)
    if challenge.verified_at is not None:
        return Refusal("used")
    if now >= challenge.expires_at:
        return Refusal("expired")
    until = _locked_until(session, settings, challenge.subject, now)
    if until is not None:
        return Refusal("locked", until)
    if challenge.attempts >= settings.otp_max_attempts:
        return Refusal("too_many_attempts")
    assert challenge.id is not None
    typed = "".join(code.split())
    good = hmac.compare_digest(challenge.code_hash, _code_hash(settings, challenge.id, typed))
    opens = challenge.participant_id is not None or challenge.purpose is not OtpPurpose.sign_in
    if not (good and opens):
        challenge.attempts += 1
        session.add(challenge)
        session.flush()
        until = _locked_until(session, settings, challenge.subject, now)
        if until is not None:
            return Refusal("locked", until)
        left = settings.otp_max_attempts - challenge.attempts
        return Refusal("wrong_code", left=left) if left > 0 else Refusal("too_many_attempts")
    challenge.verified_at = now
    session.add(challenge)
    session.flush()
    return challenge
