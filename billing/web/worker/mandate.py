"""Authorising the auto-debit: the worker picks a bank or e-wallet and a debit day, reads the consent
text and agrees; the bank's (or gateway's) own page takes their confirmation; back here, the gateway
is asked what became of the binding (``billing.mandates.binding``). The same page changes the payment
method later: a new consent and a new binding."""

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from billing import db
from billing.contributions.pricing import quote_month
from billing.coverage.standing import read
from billing.errors import InvalidInput
from billing.gateways.base import SetupStatus
from billing.gateways.registry import app_gateway
from billing.mandates import binding, consent
from billing.mandates.models import ConsentSource, ConsentStatus, MandateChannel, MandateConsent
from billing.settings import current, today
from billing.sponsors.models import Payer
from billing.tariffs.service import load_tariff
from billing.web.worker.access import bp, not_theirs, worker_page
from billing.web.worker.labels import lang


def _monthly() -> int:
    return quote_month(db.session(), load_tariff(db.session(), today()), g.participant, Payer.self).total


def _page(status: int = 200, **extra: Any) -> Any:
    standing = read(db.session(), g.participant, today(), current().arrears_months)
    amount = _monthly()
    typed = request.form.get("debit_day", "")
    day = int(typed) if typed.isdigit() else (standing.mandate.debit_day if standing.mandate else 5)
    text = consent.paragraphs(
        consent.VERSION,
        lang(),
        provider="rekening atau e-wallet pilihan Anda" if lang() == "id" else "the account or e-wallet you choose",
        amount=amount,
        day=day,
    )
    context = {
        "mandate": standing.mandate,
        "providers": binding.PROVIDERS,
        "consent_text": text,
        "version": consent.VERSION,
        "amount": amount,
        "form": request.form,
        **extra,
    }
    return render_template("worker/mandate.html", **context), status


@bp.get("/autodebet")
@worker_page
def mandate() -> Any:
    return _page(welcome="welcome" in request.args)


@bp.post("/autodebet")
@worker_page
def mandate_post() -> Any:
    form = request.form
    try:
        channel = MandateChannel(form.get("channel", ""))
        day = int(form.get("debit_day", ""))
        provider = form.get(f"provider_{channel.value}", "")
        if not 1 <= day <= 15 or provider not in binding.PROVIDERS[channel]:
            raise ValueError
    except ValueError:
        return _page(422, problem="choice")
    if form.get("agree") != "yes":
        return _page(422, problem="agree")
    settings = current()
    ask = binding.ConsentAsk(
        participant_id=g.participant.id,
        channel=channel,
        provider=provider,
        debit_day=day,
        amount=_monthly(),
        source=ConsentSource.self_service,
        ip=request.remote_addr,
    )
    # The consent is committed before the gateway is asked (a crash leaves it pending, never unknown).
    with db.unit_of_work(db.engine()) as s:
        consent_id = binding.give(s, ask, settings.gateway).id
    assert consent_id is not None
    back = url_for("worker.mandate_return", consent_id=consent_id, _external=True)
    result = binding.begin(db.engine(), app_gateway(settings.gateway), consent_id, g.participant.full_name, back)
    if result.status is SetupStatus.requires_action and result.next_action_url:
        return redirect(result.next_action_url)
    return redirect(back)


@bp.get("/autodebet/kembali/<int:consent_id>")
@worker_page
def mandate_return(consent_id: int) -> Any:
    row = db.session().get(MandateConsent, consent_id)
    if row is None or row.participant_id != g.participant.id:
        raise not_theirs("Persetujuan")
    settings = current()
    done = binding.finish(db.engine(), app_gateway(settings.gateway), consent_id, g.user, today())
    if done.status is ConsentStatus.bound:
        flash("bound", "ok")
        return redirect(url_for("worker.status"))
    if done.status is ConsentStatus.failed:
        return _page(409, problem="failed", failure=done.failure)
    result = app_gateway(settings.gateway).retrieve_setup(done.setup_reference or "")
    if result is None or not result.next_action_url:
        raise InvalidInput("Pengikatan tidak dapat dilanjutkan. / The binding cannot go on.", code="setup_stuck")
    return render_template("worker/mandate_waiting.html", url=result.next_action_url)
