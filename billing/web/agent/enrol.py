"""Enrolling a worker on the spot: the agent fills in the worker's form (the workers' own, checked as the
API checks it), a code goes to the worker's phone, and the worker reads it out or types it in: only the
code confirms the phone (``billing.agents.enrolment``, consent source ``agent``). The participant is then
the agent's worker."""

from typing import Any

from flask import g, redirect, render_template, request, session, url_for
from pydantic import ValidationError

from billing import db
from billing.agents import enrolment, workers
from billing.auth.browser import now
from billing.errors import BillingError
from billing.otp import service as otp
from billing.otp.senders import app_sender
from billing.participants import online
from billing.participants.schemas import ParticipantCreate
from billing.settings import current, today
from billing.web.agent.access import agent_page, bp
from billing.web.worker.enrol import confirm_context, form_body, form_context, form_errors
from billing.web.worker.signin import refusal_page

CHALLENGE = "agent_enrol"


@bp.get("/daftar")
@agent_page
def enrol() -> Any:
    return render_template("agent/enrol.html", **form_context(values={}, errors={}))


@bp.post("/daftar")
@agent_page
def enrol_post() -> Any:
    values = request.form.to_dict()
    try:
        data = ParticipantCreate(**form_body(request.form))
    except ValidationError as exc:
        return render_template("agent/enrol.html", **form_context(values=values, errors=form_errors(exc))), 422
    with db.unit_of_work(db.engine()) as s:
        issued = enrolment.ask(s, current(), app_sender(), g.user, data, request.remote_addr, now())
        challenge_id = issued.id if not isinstance(issued, otp.Refusal) else None
    if isinstance(issued, otp.Refusal):
        return refusal_page("agent/enrol.html", issued, **form_context(values=values, errors={}))
    session[CHALLENGE] = challenge_id
    return redirect(url_for("agent.enrol_confirm"))


def _pending() -> ParticipantCreate | None:
    return online.waiting(db.session(), session.get(CHALLENGE))


@bp.get("/daftar/konfirmasi")
@agent_page
def enrol_confirm() -> Any:
    data = _pending()
    if data is None:
        return redirect(url_for("agent.enrol"))
    return render_template("agent/enrol_confirm.html", **confirm_context(data))


@bp.post("/daftar/konfirmasi")
@agent_page
def enrol_confirm_post() -> Any:
    data = _pending()
    if data is None:
        return redirect(url_for("agent.enrol"))
    with db.unit_of_work(db.engine()) as s:
        checked = enrolment.confirm(s, current(), g.user, session.get(CHALLENGE), request.form.get("code", ""), now())
    if isinstance(checked, otp.Refusal):
        return refusal_page("agent/enrol_confirm.html", checked, **confirm_context(data))
    try:
        with db.unit_of_work(db.engine()) as s:
            participant = workers.enrol(s, g.user, checked, today())
    except BillingError as exc:  # the NIK is enrolled already (nik_already_enrolled), or a race lost
        context = form_context(values=request.form.to_dict() | checked.model_dump(mode="json"), errors={})
        return render_template("agent/enrol.html", problem=exc, **context), exc.status
    session.pop(CHALLENGE, None)
    return redirect(url_for("agent.worker", participant_id=participant.id, welcome=1))
