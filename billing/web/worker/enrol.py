"""Enrolling online: the form (checked as the API checks it), a code sent to the phone given, and, once
the code is confirmed, the participant enrolled by the same service the API uses, the worker signed
in. Whether a NIK is enrolled already is told only after the phone was proved (it is the only answer
that says it), so probing NIKs costs a phone and a code each."""

from typing import Any

from flask import jsonify, redirect, render_template, request, session, url_for
from pydantic import ValidationError

from billing import db
from billing.audit.service import record
from billing.auth import workers
from billing.auth.browser import now
from billing.errors import BillingError
from billing.otp import service as otp
from billing.otp.senders import app_sender
from billing.participants import online
from billing.participants import service as participants
from billing.participants.identity import check_nik
from billing.participants.models import EnrolmentSource, SectorCategory
from billing.participants.schemas import ParticipantCreate
from billing.regions.reference import region_name, regions
from billing.settings import current, today
from billing.web.worker import labels
from billing.web.worker.access import bp, set_cookie
from billing.web.worker.signin import refusal_page

CHALLENGE = "otp_enrol"
FIELDS = ("nik", "full_name", "phone", "region_code", "ecosystem", "sector", "sector_category", "declared_income")


def _regencies() -> list[tuple[str, list[tuple[str, str]]]]:
    """Provinces with their regencies and cities, for the region list."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for row in regions():
        if row["level"] == 1:
            out.append((str(row["name"]), []))
        else:
            out[-1][1].append((str(row["code"]), str(row["name"])))
    return out


def form_context(**extra: Any) -> dict[str, Any]:
    return {
        "regencies": _regencies(),
        "brackets": labels.brackets(db.session(), today()),
        "ecosystems": labels.ECOSYSTEMS,
        "sectors": labels.SECTORS,
        **extra,
    }


def form_body(form: Any) -> dict[str, Any]:
    body: dict[str, Any] = {name: form.get(name, "") for name in FIELDS}
    income = str(body["declared_income"])
    body["declared_income"] = int(income) if income.isdigit() else income
    body["programs"] = ["JKK", "JKM", "JHT"] if form.get("jht") else ["JKK", "JKM"]
    return body


# Pydantic's own messages are English: the usual ones in both languages.
_MESSAGES = {
    "missing": "Wajib diisi / Required",
    "string_too_short": "Terlalu pendek / Too short",
    "string_too_long": "Terlalu panjang / Too long",
    "int_type": "Pilih dari daftar / Choose from the list",
    "enum": "Pilih dari daftar / Choose from the list",
    "string_pattern_mismatch": "Pilih dari daftar / Choose from the list",
}


def form_errors(exc: ValidationError) -> dict[str, str]:
    """The first problem of each field, in the reader's language."""
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        field = str(err["loc"][0]) if err["loc"] else "form"
        out.setdefault(field, labels.bilingual(_MESSAGES.get(err["type"], str(err["msg"]))))
    return out


@bp.get("/daftar")
def enrol() -> Any:
    return render_template("worker/enrol.html", **form_context(values={}, errors={}))


@bp.post("/daftar")
def enrol_post() -> Any:
    values = request.form.to_dict()
    try:
        data = ParticipantCreate(**form_body(request.form))
    except ValidationError as exc:
        return render_template("worker/enrol.html", **form_context(values=values, errors=form_errors(exc))), 422
    with db.unit_of_work(db.engine()) as s:
        issued = online.ask_code(s, current(), app_sender(), data, EnrolmentSource.web, request.remote_addr, now())
        challenge_id = issued.id if not isinstance(issued, otp.Refusal) else None
    if isinstance(issued, otp.Refusal):
        return refusal_page("worker/enrol.html", issued, **form_context(values=values, errors={}))
    session[CHALLENGE] = challenge_id
    return redirect(url_for("worker.enrol_confirm"))


def _pending() -> ParticipantCreate | None:
    return online.waiting(db.session(), session.get(CHALLENGE))


def confirm_context(data: ParticipantCreate, **extra: Any) -> dict[str, Any]:
    nik = check_nik(data.nik, today())
    quote = labels.quote_sentence(
        db.session(), data.declared_income, "JHT" in data.programs, SectorCategory(data.sector_category), today()
    )
    return {"data": data, "nik": nik, "region": region_name(data.region_code), "quote": quote, **extra}


@bp.get("/daftar/konfirmasi")
def enrol_confirm() -> Any:
    data = _pending()
    if data is None:
        return redirect(url_for("worker.enrol"))
    return render_template("worker/enrol_confirm.html", **confirm_context(data))


@bp.post("/daftar/konfirmasi")
def enrol_confirm_post() -> Any:
    data = _pending()
    if data is None:
        return redirect(url_for("worker.enrol"))
    settings, day = current(), today()
    with db.unit_of_work(db.engine()) as s:
        checked = online.confirm(s, settings, session.get(CHALLENGE), request.form.get("code", ""), now())
    if isinstance(checked, otp.Refusal):
        return refusal_page("worker/enrol_confirm.html", checked, **confirm_context(data))
    data = checked
    try:
        with db.unit_of_work(db.engine()) as s:
            participant = participants.enrol(s, data, day)
            assert participant.id is not None
            user = workers.principal(s, participant.id, participant.full_name)
            record(
                s,
                action="worker.enrolled",
                target=("participant", participant.id),
                user=user,
                after={"source": "self", "region_code": data.region_code, "programs": list(data.programs)},
            )
            clear = workers.start_session(s, settings, user, request.remote_addr, now())
    except BillingError as exc:  # the NIK is enrolled already (nik_already_enrolled), or a race lost
        context = form_context(values=request.form.to_dict() | data.model_dump(mode="json"), errors={})
        return render_template("worker/enrol.html", problem=exc, **context), exc.status
    session.clear()
    resp = redirect(url_for("worker.mandate", welcome=1))
    set_cookie(resp, clear)
    return resp


@bp.get("/iuran")
def quote() -> Any:
    """The live quote of the enrolment form (worker.js): the sentence in the reader's language."""
    args = request.args
    income = args.get("income", "")
    try:
        sector = SectorCategory(args.get("sector", ""))
    except ValueError:
        sector = SectorCategory.lainnya
    if not income.isdigit() or not 0 < int(income) <= 1_000_000_000:
        return jsonify(text=""), 422
    try:
        text = labels.quote_sentence(db.session(), int(income), args.get("jht") == "1", sector, today())
    except BillingError:
        text = ""
    return jsonify(text=text)
