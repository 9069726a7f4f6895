"""Paying now: the arrears, or the next 1-12 months, in one charge through the gateway on the worker's
own auto-debit account (``billing.debits.pay_now``); the receipt at once. The form carries a nonce from
which the charge's idempotency key is made, so submitting it twice (a double tap, a reload) pays once."""

import secrets
from itertools import accumulate
from typing import Any

from flask import g, redirect, render_template, request, url_for

from billing import db
from billing.audit.service import record
from billing.contributions.service import price_ahead
from billing.coverage.standing import read
from billing.debits import pay_now
from billing.errors import BillingError
from billing.gateways.registry import app_gateway
from billing.settings import current, today
from billing.web.worker.access import bp, not_theirs, worker_page


def _page(status: int = 200, **extra: Any) -> Any:
    session = db.session()
    ahead = price_ahead(session, g.participant, today())
    totals = list(accumulate(amount for _, amount in ahead))
    context = {
        "standing": read(session, g.participant, today(), current().arrears_months),
        "choices": [(n + 1, ahead[0][0], ahead[n][0], total) for n, total in enumerate(totals)],
        "nonce": secrets.token_urlsafe(12),
        **extra,
    }
    return render_template("worker/pay.html", **context), status


@bp.get("/bayar")
@worker_page
def pay() -> Any:
    return _page()


@bp.post("/bayar")
@worker_page
def pay_post() -> Any:
    form = request.form
    what = form.get("what")
    months_typed = form.get("months", "")
    if what not in ("arrears", "months") or (what == "months" and not months_typed.isdigit()):
        return _page(422, problem_text="choice")
    ask = pay_now.PayAsk(
        participant_id=g.participant.id,
        months=int(months_typed) if what == "months" else None,
        nonce=form.get("nonce", ""),
        ip=request.remote_addr,
    )
    try:
        with db.unit_of_work(db.engine()) as s:
            attempt = pay_now.prepare(s, ask, today())
            record(
                s,
                action="worker.pay_now",
                target=("debit_attempt", attempt.id or 0),
                after={"amount": attempt.amount, "months": ask.months, "arrears": ask.months is None},
            )
    except BillingError as exc:
        return _page(exc.status, problem=exc)
    assert attempt.id is not None
    settings = current()
    pay_now.send(db.engine(), app_gateway(attempt.gateway), attempt.id, settings, today())
    return redirect(url_for("worker.payment", attempt_id=attempt.id))


@bp.get("/bayar/<int:attempt_id>")
@worker_page
def payment(attempt_id: int) -> Any:
    try:
        paid = pay_now.of_participant(db.session(), g.participant.id, attempt_id)
    except BillingError:
        raise not_theirs("Pembayaran") from None
    return render_template("worker/payment.html", paid=paid)
