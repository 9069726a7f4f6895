"""Changing what was agreed: the debit day, the declared income or programmes from next month, stopping
the auto-debit, leaving the membership. Each goes through the service the API uses (the same checks
and histories) and is audited; a new payment method is a new consent (``mandate``)."""

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from billing import db
from billing.audit.service import record
from billing.coverage import service as coverage
from billing.coverage.standing import read
from billing.errors import BillingError
from billing.gateways.registry import app_gateway
from billing.mandates import binding
from billing.mandates import service as mandates
from billing.mandates.models import MandateStatus
from billing.mandates.schemas import MandateUpdate
from billing.participants import changes
from billing.participants.schemas import ProfileChangeBody
from billing.settings import current, today
from billing.timeutil import add_months, month_start
from billing.web.worker import labels
from billing.web.worker.access import bp, worker_page


def _page(status: int = 200, **extra: Any) -> Any:
    session = db.session()
    context = {
        "standing": read(session, g.participant, today(), current().arrears_months),
        "brackets": labels.brackets(session, today()),
        "next_month": add_months(month_start(today()), 1),
        "history": changes.history(session, g.participant.id),
        **extra,
    }
    return render_template("worker/change.html", **context), status


def _actor() -> str:
    return f"user:{g.user.id}"


@bp.get("/ubah")
@worker_page
def change() -> Any:
    return _page()


@bp.post("/ubah/tanggal")
@worker_page
def change_day() -> Any:
    typed = request.form.get("debit_day", "")
    standing = read(db.session(), g.participant, today(), current().arrears_months)
    if standing.mandate is None or not typed.isdigit() or not 1 <= int(typed) <= 15:
        return _page(422, problem_text="day")
    mandate, before = standing.mandate, standing.mandate.debit_day
    assert mandate.id is not None
    try:
        mandates.update(db.session(), mandate.id, MandateUpdate(debit_day=int(typed)), str(g.user.id), today())
    except BillingError as exc:
        return _page(exc.status, problem=exc)
    record(
        db.session(),
        action="worker.debit_day_changed",
        target=("mandate", mandate.id),
        before={"debit_day": before},
        after={"debit_day": int(typed)},
    )
    flash("day", "ok")
    return redirect(url_for("worker.change"))


@bp.post("/ubah/profil")
@worker_page
def change_profile() -> Any:
    form = request.form
    income = form.get("declared_income", "")
    body: dict[str, Any] = {"effective_from": f"{add_months(month_start(today()), 1):%Y-%m}"}
    if income.isdigit() and int(income) != g.participant.declared_income:
        body["declared_income"] = int(income)
    programs = ["JKK", "JKM", "JHT"] if form.get("jht") else ["JKK", "JKM"]
    if programs != g.participant.programs:
        body["programs"] = programs
    try:
        change = changes.change(db.session(), g.participant, ProfileChangeBody(**body), _actor(), today())[0]
    except (BillingError, ValueError) as exc:
        return _page(422, problem_text="profile", detail=labels.bilingual(str(exc)))
    record(
        db.session(),
        action="worker.profile_changed",
        target=("participant", g.participant.id),
        after={"effective_from": body["effective_from"], "income": change.declared_income, "jht": change.jht},
    )
    flash("profile", "ok")
    return redirect(url_for("worker.change"))


@bp.post("/ubah/hentikan-autodebet")
@worker_page
def stop_debit() -> Any:
    standing = read(db.session(), g.participant, today(), current().arrears_months)
    mandate = standing.mandate
    if mandate is None or mandate.status not in (MandateStatus.pending, MandateStatus.active, MandateStatus.suspended):
        return _page(409, problem_text="no_mandate")
    assert mandate.id is not None
    _, unbound = binding.revoke_and_unbind(
        db.session(), mandate.id, "stopped by the worker", str(g.user.id), today(), app_gateway
    )
    record(db.session(), action="worker.mandate_revoked", target=("mandate", mandate.id), after={"unbound": unbound})
    flash("stopped", "ok")
    return redirect(url_for("worker.status"))


@bp.get("/berhenti")
@worker_page
def leave() -> Any:
    return render_template("worker/leave.html")


@bp.post("/berhenti")
@worker_page
def leave_post() -> Any:
    if request.form.get("confirm") != "yes":
        return render_template("worker/leave.html", problem_text="confirm"), 422
    try:
        coverage.cancel(db.session(), g.participant, today(), _actor(), "left on the self-service pages")
    except BillingError as exc:
        return render_template("worker/leave.html", problem=exc), exc.status
    record(db.session(), action="worker.membership_cancelled", target=("participant", g.participant.id))
    flash("left", "ok")
    return redirect(url_for("worker.status"))
