"""Enrolling with a phone proved by a code: the form is checked as the API checks it, a code goes to the
phone it names, and only the code confirms it (the details wait with the code, server-side). The
worker's own pages use it (source ``web``); a Perisai agent's would too, the worker reading the code
from their own phone (source ``agent``)."""

from datetime import datetime

from sqlmodel import Session

from billing.otp import service as otp
from billing.otp.models import OtpChallenge, OtpPurpose
from billing.otp.senders import OtpSender
from billing.participants.models import EnrolmentSource
from billing.participants.schemas import ParticipantCreate
from billing.settings import Settings

TEXT = (
    "Kode pendaftaran Autodebet BPJS Ketenagakerjaan Anda: {code}. Berlaku 5 menit. / "
    "Your enrolment code: {code}. Valid for 5 minutes."
)


def ask_code(
    session: Session,
    settings: Settings,
    sender: OtpSender,
    data: ParticipantCreate,
    source: EnrolmentSource,
    ip: str | None,
    now: datetime,
) -> OtpChallenge | otp.Refusal:
    """Send a code to ``data.phone``; the details wait with it. The caller commits either way."""
    payload = data.model_copy(update={"enrolment_source": source}).model_dump(mode="json")
    return otp.issue(
        session,
        settings,
        sender,
        purpose=OtpPurpose.verify_phone,
        who=otp.subject(settings, "phone", data.phone),
        phone=data.phone,
        participant_id=None,
        ip=ip,
        now=now,
        text=TEXT,
        payload=payload,
    )


def waiting(session: Session, challenge_id: int | None) -> ParticipantCreate | None:
    """The details a code was sent for (to show them again while the code is typed)."""
    challenge = session.get(OtpChallenge, challenge_id) if challenge_id is not None else None
    if challenge is None or challenge.purpose is not OtpPurpose.verify_phone or not challenge.payload:
        return None
    return ParticipantCreate(**challenge.payload)


def confirm(
    session: Session, settings: Settings, challenge_id: int | None, code: str, now: datetime
) -> ParticipantCreate | otp.Refusal:
    """The details, once the code sent for them is right (it is then used up); the caller enrols them
    (``service.enrol``) in a transaction of its own, and commits this one either way."""
    checked = otp.verify(session, settings, challenge_id, code, OtpPurpose.verify_phone, now)
    if isinstance(checked, otp.Refusal):
        return checked
    assert checked.payload is not None
    return ParticipantCreate(**checked.payload)
