"""An agent signs in as staff do (``billing.auth.signin``: lockouts, server-side sessions, the staff's
cookie), on a page for a phone."""

import math
from typing import Any

from flask import redirect, render_template, request, session, url_for

from billing import db
from billing.auth.browser import clear_cookie, now, set_cookie, signed_in
from billing.auth.models import Role
from billing.auth.signin import Refusal, sign_out
from billing.auth.signin import sign_in as password_sign_in
from billing.settings import current
from billing.web.agent.access import bp, safe_next


@bp.get("/masuk")
def sign_in() -> Any:
    found = signed_in()
    if found is not None and found[1].role is Role.agent:
        return redirect(safe_next(request.args.get("next")))
    return render_template("agent/sign_in.html", next=request.args.get("next", ""))


@bp.post("/masuk")
def sign_in_post() -> Any:
    form = request.form
    # Committed on its own: a refused sign-in must still count as a failure.
    with db.unit_of_work(db.engine()) as s:
        result = password_sign_in(
            s, current(), form.get("login", ""), form.get("password", ""), request.remote_addr, now()
        )
    if isinstance(result, Refusal):
        minutes = max(1, math.ceil((result.until - now()).total_seconds() / 60)) if result.until else None
        headers = {"Retry-After": str(minutes * 60)} if minutes else {}
        page = render_template(
            "agent/sign_in.html",
            next=form.get("next", ""),
            refusal=result.code,
            minutes=minutes,
            login=form.get("login"),
        )
        return page, 429 if result.code == "locked" else 401, headers
    user, clear = result
    # A new CSRF secret for the signed-in session: one planted before sign-in is worthless after it.
    session.clear()
    # Staff who signed in here go to their own workspace: these pages are agents' only.
    target = safe_next(form.get("next")) if user.role is Role.agent else url_for("staff.home")
    resp = redirect(target)
    set_cookie(resp, clear)
    return resp


@bp.post("/keluar")
def sign_out_post() -> Any:
    found = signed_in()
    if found is not None:
        sign_out(db.session(), found[0], found[1], now())
    session.clear()
    resp = redirect(url_for("agent.sign_in", bye=1))
    clear_cookie(resp)
    return resp
