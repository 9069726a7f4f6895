"""The case page (one contribution's failed debit) with its action forms, and the approvals list of
waivers waiting for a second user. Every action goes through ``billing.casework.actions``; a success
redirects back to the case (a reload does not post again), a refusal shows the case with its reason
after the request's work is rolled back."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from billing import db
from billing.auth.models import Role
from billing.casework import actions, approvals
from billing.casework.case import Case, as_json, load
from billing.casework.models import WaiverStatus
from billing.casework.sending import commit_and_send
from billing.contributions.schemas import StaffReceiptChannel
from billing.errors import BillingError, InvalidInput
from billing.gateways.base import GatewayCharge, GatewayError
from billing.gateways.registry import app_gateway
from billing.notices.texts import rupiah
from billing.observability import redact
from billing.reports.labels import CAUSES, label
from billing.settings import current, today
from billing.web.access import bp, staff_page
from billing.web.audit_pages import local

CASE_ROLES = (Role.finance, Role.admin)
CHANNELS = [(c.value, c.value) for c in StaffReceiptChannel]


def _rp(amount: int | None) -> str:
    return "—" if amount is None else rupiah(amount, "id")


def _code(code: str | None) -> str:
    return "" if not code else " / ".join(label(CAUSES, code))


@dataclass(frozen=True)
class Asked:
    """What the gateway says of one attempt's charge now, read on request (``?ask=<attempt id>``)."""

    attempt_id: int
    charge: GatewayCharge | None
    problem: str | None = None


def _ask(case: Case) -> Asked | None:
    raw = request.args.get("ask", "")
    if not raw.isdigit():
        return None
    attempt = next((v.attempt for m in case.months for v in m.attempts if str(v.attempt.id) == raw), None)
    if attempt is None or attempt.id is None or not attempt.gateway_reference:
        return None
    try:
        found = app_gateway(attempt.gateway).retrieve(attempt.gateway_reference)
    except GatewayError as exc:  # the gateway is away or refused: say so, the page still shows
        return Asked(attempt.id, None, str(exc)[:200])
    return Asked(attempt.id, found)


def _page(contribution_id: int, error: BillingError | None = None, status: int = 200) -> Any:
    settings = current()
    case = load(db.session(), contribution_id, today(), settings.arrears_months, settings.retry_max_attempts)
    page = render_template(
        "staff/case.html",
        case=case,
        asked=None if error else _ask(case),
        error=error,
        form=request.form if error else {},
        today=today(),
        channels=CHANNELS,
        limit=settings.waiver_approval_above,
        rp=_rp,
        code=_code,
        local=local,
        redact=redact,
        as_json=as_json,
    )
    return page, status


@bp.get("/cases")
@staff_page(*CASE_ROLES)
def case_lookup() -> Any:
    """The home page's "open a case" form: a contribution id."""
    raw = request.args.get("contribution_id", "").strip()
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        flash("Nomor iuran tidak valid. / Not a contribution number.")
        return redirect(url_for("staff.home"))
    return redirect(url_for("staff.case", contribution_id=int(raw)))


@bp.get("/cases/<int:contribution_id>")
@staff_page(*CASE_ROLES)
def case(contribution_id: int) -> Any:
    return _page(contribution_id)


def _refused(contribution_id: int, exc: BillingError) -> Any:
    # Nothing of a refused action stays: the session's work is undone before the page is read again.
    db.session().rollback()
    return _page(contribution_id, exc, exc.status)


def _done(contribution_id: int, message: str) -> Any:
    flash(message)
    return redirect(url_for("staff.case", contribution_id=contribution_id))


def _reason() -> str:
    return request.form.get("reason", "")


def _int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 15:
        raise InvalidInput(
            f"{name}: bukan bilangan bulat. / {name}: not a whole number.",
            errors=[{"field": name, "message": "not a whole number", "type": "int_parsing"}],
        )
    return int(raw)


@bp.post("/cases/<int:contribution_id>/retry")
@staff_page(*CASE_ROLES)
def case_retry(contribution_id: int) -> Any:
    session = db.session()
    try:
        done = actions.retry(session, contribution_id, g.user, _reason(), after_attempt=_int("expected_attempt_no"))
    except BillingError as exc:
        return _refused(contribution_id, exc)
    status = commit_and_send(session, done)
    if status is None:
        return _done(contribution_id, "Dibayar dari kredit peserta. / Paid from the worker's credit.")
    n = done.detail["attempt_no"]
    return _done(contribution_id, f"Percobaan ke-{n}: {status}. / Attempt {n}: {status}.")


@bp.post("/cases/<int:contribution_id>/payment")
@staff_page(*CASE_ROLES)
def case_payment(contribution_id: int) -> Any:
    form = request.form
    try:
        try:
            paid_on = date.fromisoformat(form.get("paid_on", ""))
        except ValueError:
            raise InvalidInput(
                "Tanggal bayar tidak valid. / The payment date is not a date.",
                errors=[{"field": "paid_on", "message": "not a date", "type": "date_parsing"}],
            ) from None
        amount = _int("amount")
        if amount is None or form.get("channel") not in {c for c, _ in CHANNELS}:
            raise InvalidInput(
                "Jumlah dan kanal wajib diisi. / The amount and the channel are required.",
                errors=[{"field": "amount", "message": "required", "type": "missing"}],
            )
        number = form.get("receipt_number", "").strip()
        if not number or len(number) > 40:
            raise InvalidInput(
                "Nomor kuitansi wajib, paling panjang 40. / A receipt number of at most 40 characters is required.",
                errors=[{"field": "receipt_number", "message": "1-40 characters", "type": "string_length"}],
            )
        actions.record_offline_payment(
            db.session(),
            contribution_id,
            g.user,
            _reason(),
            receipt_number=number,
            channel=form["channel"],
            amount=amount,
            paid_on=paid_on,
        )
    except BillingError as exc:
        return _refused(contribution_id, exc)
    return _done(contribution_id, f"Pembayaran {number} dicatat. / Payment {number} recorded.")


@bp.post("/cases/<int:contribution_id>/waive")
@staff_page(*CASE_ROLES)
def case_waive(contribution_id: int) -> Any:
    try:
        done = actions.waive(db.session(), contribution_id, g.user, _reason())
    except BillingError as exc:
        return _refused(contribution_id, exc)
    if done.status == "waived":
        return _done(contribution_id, "Iuran dihapuskan. / Contribution waived.")
    return _done(
        contribution_id,
        "Permintaan penghapusan menunggu persetujuan pengguna lain. / The waiver waits for another user's approval.",
    )


@bp.post("/cases/<int:contribution_id>/mandate")
@staff_page(*CASE_ROLES)
def case_mandate(contribution_id: int) -> Any:
    act = actions.resume_mandate if request.form.get("action") == "resume" else actions.suspend_mandate
    try:
        done = act(db.session(), contribution_id, g.user, _reason())
    except BillingError as exc:
        return _refused(contribution_id, exc)
    return _done(contribution_id, f"Mandat kini {done.status}. / The mandate is now {done.status}.")


@bp.post("/cases/<int:contribution_id>/reminder")
@staff_page(*CASE_ROLES)
def case_reminder(contribution_id: int) -> Any:
    try:
        actions.send_reminder(db.session(), contribution_id, g.user, _reason())
    except BillingError as exc:
        return _refused(contribution_id, exc)
    return _done(contribution_id, "Pengingat masuk antrean kirim. / The reminder is queued.")


@bp.post("/cases/<int:contribution_id>/notes")
@staff_page(*CASE_ROLES)
def case_note(contribution_id: int) -> Any:
    try:
        actions.add_note(db.session(), contribution_id, g.user, request.form.get("body", ""))
    except BillingError as exc:
        return _refused(contribution_id, exc)
    return _done(contribution_id, "Catatan disimpan. / Note saved.")


@bp.get("/approvals")
@staff_page(*CASE_ROLES)
def approvals_list() -> Any:
    session = db.session()
    rows = approvals.pending(session)
    return render_template("staff/approvals.html", rows=rows, rp=_rp, local=local, me=g.user.id)


@bp.post("/approvals/<int:request_id>/<any(approve, reject):verdict>")
@staff_page(*CASE_ROLES)
def approvals_decide(request_id: int, verdict: str) -> Any:
    session = db.session()
    decide = approvals.approve if verdict == "approve" else approvals.reject
    try:
        decided = decide(session, request_id, g.user, _reason())
    except BillingError as exc:
        session.rollback()
        rows = approvals.pending(session)
        page = render_template("staff/approvals.html", rows=rows, rp=_rp, local=local, me=g.user.id, error=exc)
        return page, exc.status
    word = "disetujui / approved" if decided.request.status is WaiverStatus.approved else "ditolak / rejected"
    flash(f"Permintaan {request_id} {word}.")
    return redirect(url_for("staff.approvals_list"))
