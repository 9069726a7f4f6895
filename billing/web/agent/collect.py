"""One of the agent's workers: their standing, and the cash they pay the agent for one or more months
(oldest first); the receipt the system issued for it. The form carries a nonce: a double tap or a
reload records the cash once (``billing.agents.collections``)."""

import secrets
from itertools import accumulate
from typing import Any

from flask import g, redirect, render_template, request, url_for

from billing import db
from billing.agents import collections, workers
from billing.contributions.service import price_ahead
from billing.coverage.standing import read
from billing.errors import BillingError
from billing.participants.identity import mask_nik
from billing.settings import current, today
from billing.web.agent.access import agent_page, bp


def _page(participant_id: int, status: int = 200, **extra: Any) -> Any:
    session = db.session()
    worker = workers.worker_of(session, g.user.id, participant_id)
    ahead = price_ahead(session, worker, today())
    totals = list(accumulate(amount for _, amount in ahead))
    context = {
        "worker": worker,
        "nik": mask_nik(worker.nik),
        "standing": read(session, worker, today(), current().arrears_months),
        "choices": [(n + 1, ahead[0][0], ahead[n][0], total) for n, total in enumerate(totals)],
        "collections": collections.recent(session, g.user.id, participant_id, limit=12),
        "nonce": secrets.token_urlsafe(12),
        "welcome": "welcome" in request.args,
        **extra,
    }
    return render_template("agent/worker.html", **context), status


@bp.get("/pekerja/<int:participant_id>")
@agent_page
def worker(participant_id: int) -> Any:
    return _page(participant_id)


@bp.post("/pekerja/<int:participant_id>")
@agent_page
def collect_post(participant_id: int) -> Any:
    form = request.form
    months = form.get("months", "")
    if not months.isdigit():
        return _page(participant_id, 422, problem_text="choice")
    ask = collections.CollectAsk(participant_id=participant_id, months=int(months), nonce=form.get("nonce", ""))
    try:
        with db.unit_of_work(db.engine()) as s:
            done = collections.collect(s, g.user, ask, current(), today())
    except BillingError as exc:
        if exc.status == 404:
            raise
        return _page(participant_id, exc.status, problem=exc)
    return redirect(url_for("agent.collection", collection_id=done.id))


@bp.get("/tunai/<int:collection_id>")
@agent_page
def collection(collection_id: int) -> Any:
    found = collections.of_agent(db.session(), g.user.id, collection_id)
    return render_template("agent/collection.html", found=found, nik=mask_nik(found.worker.nik))
