"""An agent enrolling a worker on the spot, in two steps (``billing.participants.online``, consent source
``agent``): a code goes to the worker's phone, the details waiting with it, and the agent who asked for
it is recorded; only that agent may then confirm it, with the code the worker reads from their own
phone. Each caller commits either way: sends and wrong tries count against the limits."""

from datetime import datetime
from math import ceil

from sqlmodel import Session

from billing.agents.models import AgentEnrolmentRequest
from billing.audit.service import record
from billing.auth.models import ApiUser
from billing.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from billing.otp import service as otp
from billing.otp.models import OtpChallenge
from billing.otp.senders import OtpSender
from billing.participants import online
from billing.participants.models import EnrolmentSource
from billing.participants.schemas import ParticipantCreate
from billing.settings import Settings


def ask(
    session: Session,
    settings: Settings,
    sender: OtpSender,
    agent: ApiUser,
    data: ParticipantCreate,
    ip: str | None,
    now: datetime,
) -> OtpChallenge | otp.Refusal:
    """Send the code to ``data.phone`` for this agent; audited either way."""
    assert agent.id is not None
    issued = online.ask_code(session, settings, sender, data, EnrolmentSource.agent, ip, now)
    sent = isinstance(issued, OtpChallenge)
    if sent:
        assert issued.id is not None
        session.add(AgentEnrolmentRequest(challenge_id=issued.id, agent_id=agent.id))
    record(
        session,
        action="agent.enrol_code_sent" if sent else "agent.enrol_code_refused",
        target=("otp_challenge", issued.id or 0) if sent else None,
        user=agent,
        after={"region_code": data.region_code},
    )
    return issued


def confirm(
    session: Session, settings: Settings, agent: ApiUser, challenge_id: int | None, code: str, now: datetime
) -> ParticipantCreate | otp.Refusal:
    """The details, once the code is right; 404 for a code another agent asked for (or none)."""
    mine = session.get(AgentEnrolmentRequest, challenge_id) if challenge_id is not None else None
    if mine is None or mine.agent_id != agent.id:
        raise NotFound("Pendaftaran tidak ditemukan. / Enrolment not found.", code="enrolment_not_found")
    return online.confirm(session, settings, challenge_id, code, now)


def refusal_error(refusal: otp.Refusal, now: datetime) -> InvalidInput | TooManyRequests | Conflict:
    """A refused code as the API answers it: a wrong one is 422 (tries left in the message), too many
    codes asked for 429 with ``Retry-After``, the rest (expired, used, tried too often) 409."""
    if refusal.code == "wrong_code":
        return InvalidInput(
            f"Kode salah; sisa {refusal.left} percobaan. / Wrong code; {refusal.left} tries left.",
            code="wrong_code",
            errors=[{"field": "code", "message": "wrong code", "type": "wrong_code"}],
        )
    until = f" ({refusal.until:%Y-%m-%dT%H:%M:%SZ})" if refusal.until else ""
    detail = f"Kode tidak bisa dipakai: {refusal.code}{until}. / The code cannot be used: {refusal.code}{until}."
    if refusal.code in ("too_many_sends", "locked"):
        wait = max(1, ceil((refusal.until - now).total_seconds())) if refusal.until else None
        return TooManyRequests(detail, code=refusal.code, retry_after=wait)
    return Conflict(detail, code=refusal.code)
