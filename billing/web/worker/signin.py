"""Signing in with a code sent to the registered phone. The first page asks for a NIK or phone number
and always answers the same way, whether or not anyone is enrolled with it (the code goes only to an
enrolled worker's registered phone); the second takes the code."""

import math
from datetime import datetime
from typing import Any

from flask import redirect, render_template, request, session, url_for
from sqlmodel import Session, select

from billing import db
from billing.auth import workers
from billing.auth.browser import now
from billing.otp import service as otp
from billing.otp.models import OtpPurpose
from billing.otp.senders import app_sender
from billing.participants.identity import check_nik, normalise_phone
from billing.participants.models import Participant
from billing.settings import current, today
from billing.web.worker.access import bp, clear_cookie, safe_next, set_cookie, signed_in, worker_page

SIGN_IN_TEXT = (
    "Kode masuk Autodebet BPJS Ketenagakerjaan Anda: {code}. Berlaku 5 menit. Jangan berikan kepada siapa pun. / "
    "Your sign-in code: {code}. Valid for 5 minutes. Never share it."
)
CHALLENGE = "otp_sign_in"  # the signed session cookie holds the challenge's id between the two pages


def _identify(raw: str) -> tuple[str, str] | None:
    """("nik", the NIK) or ("phone", its E.164), or None when it is neither."""
    raw = raw.strip()
    digits = raw.replace(" ", "")
    if len(digits) == 16 and digits.isdigit():
        try:
            return "nik", check_nik(digits, today()).value
        except ValueError:
            return None
    try:
        return "phone", normalise_phone(raw)
    except ValueError:
        return None


def _participant(s: Session, kind: str, value: str) -> Participant | None:
    column = Participant.nik if kind == "nik" else Participant.phone
    found = s.exec(select(Participant).where(column == value).limit(2)).all()
    # A number shared by two participants opens neither: they sign in with their NIK.
    return found[0] if len(found) == 1 else None


def minutes_until(until: datetime | None) -> int:
    return max(1, math.ceil((until - now()).total_seconds() / 60)) if until else 1


def refusal_page(template: str, refusal: otp.Refusal, **context: Any) -> Any:
    status = 429 if refusal.code in ("locked", "too_many_sends") else 401
    page = render_template(template, refusal=refusal, minutes=minutes_until(refusal.until), **context)
    headers = {"Retry-After": str(minutes_until(refusal.until) * 60)} if status == 429 else {}
    return page, status, headers


@bp.get("/masuk")
def sign_in() -> Any:
    if signed_in() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("worker/sign_in.html", next=request.args.get("next", ""))


@bp.post("/masuk")
def sign_in_post() -> Any:
    raw, nxt = request.form.get("id", ""), request.form.get("next", "")
    found = _identify(raw)
    if found is None:
        return render_template("worker/sign_in.html", next=nxt, typed=raw, invalid=True), 422
    kind, value = found
    settings = current()
    # Committed on its own: a refused or unanswered request must still count against the limits.
    with db.unit_of_work(db.engine()) as s:
        participant = _participant(s, kind, value)
        issued = otp.issue(
            s,
            settings,
            app_sender(),
            purpose=OtpPurpose.sign_in,
            who=otp.subject(settings, kind, value),
            phone=participant.phone if participant else None,
            participant_id=participant.id if participant else None,
            ip=request.remote_addr,
            now=now(),
            text=SIGN_IN_TEXT,
        )
        challenge_id = issued.id if not isinstance(issued, otp.Refusal) else None
    if isinstance(issued, otp.Refusal):
        return refusal_page("worker/sign_in.html", issued, next=nxt, typed=raw)
    session[CHALLENGE] = challenge_id
    return redirect(url_for("worker.sign_in_code", next=nxt or None))


@bp.get("/masuk/kode")
def sign_in_code() -> Any:
    return render_template("worker/sign_in_code.html", next=request.args.get("next", ""))


@bp.post("/masuk/kode")
def sign_in_code_post() -> Any:
    settings, nxt = current(), request.form.get("next", "")
    with db.unit_of_work(db.engine()) as s:
        checked = otp.verify(
            s, settings, session.get(CHALLENGE), request.form.get("code", ""), OtpPurpose.sign_in, now()
        )
        if not isinstance(checked, otp.Refusal):
            assert checked.participant_id is not None
            participant = s.get(Participant, checked.participant_id)
            assert participant is not None
            user = workers.principal(s, checked.participant_id, participant.full_name)
            clear = (
                workers.start_session(s, settings, user, request.remote_addr, now())
                if user.revoked_at is None
                else None
            )
    if isinstance(checked, otp.Refusal):
        return refusal_page("worker/sign_in_code.html", checked, next=nxt)
    if clear is None:
        return render_template("worker/sign_in_code.html", next=nxt, revoked=True), 403
    # A new CSRF secret for the signed-in session: one planted before sign-in is worthless after it.
    session.clear()
    resp = redirect(safe_next(nxt))
    set_cookie(resp, clear)
    return resp


@bp.post("/keluar")
def sign_out() -> Any:
    found = signed_in()
    if found is not None:
        workers.sign_out(db.session(), found[0], found[1], now())
    session.clear()
    resp = redirect(url_for("worker.sign_in", bye=1))
    clear_cookie(resp)
    return resp


@bp.get("/")
@worker_page
def home() -> Any:
    return redirect(url_for("worker.status"))
