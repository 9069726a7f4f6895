"""Sign-in, sign-out and the home page."""

import math
from typing import Any

from flask import g, redirect, render_template, request, session, url_for

from billing import db
from billing.auth.browser import clear_cookie, now, set_cookie, signed_in
from billing.auth.models import STAFF_ROLES, Role
from billing.auth.signin import Refusal, sign_in, sign_out
from billing.settings import current, today
from billing.timeutil import add_months
from billing.web.access import bp, safe_next, staff_page


def _landing(role: Role, target: str | None) -> str:
    """Where a signed-in user goes: an agent to their own pages (the workspace is not theirs)."""
    if role is Role.agent:
        return url_for("agent.home")
    return safe_next(target)


@bp.get("/login")
def login() -> Any:
    found = signed_in()
    if found is not None:
        return redirect(_landing(found[1].role, request.args.get("next")))
    return render_template("staff/login.html", next=request.args.get("next", ""), bye="bye" in request.args)


@bp.post("/login")
def login_post() -> Any:
    form = request.form
    # The decision is committed on its own: a refused sign-in (a 401 page) must still count as a failure.
    with db.unit_of_work(db.engine()) as s:
        result = sign_in(s, current(), form.get("login", ""), form.get("password", ""), request.remote_addr, now())
    if isinstance(result, Refusal):
        headers = {}
        minutes = None
        if result.until is not None:
            seconds = max(1, math.ceil((result.until - now()).total_seconds()))
            headers["Retry-After"] = str(seconds)
            minutes = math.ceil(seconds / 60)
        page = render_template(
            "staff/login.html", next=form.get("next", ""), refusal=result.code, minutes=minutes, login=form.get("login")
        )
        return page, 429 if result.code == "locked" else 401, headers
    user, clear = result
    # A new CSRF secret for the signed-in session: one planted before sign-in is worthless after it.
    session.clear()
    resp = redirect(_landing(user.role, form.get("next")))
    set_cookie(resp, clear)
    return resp


@bp.get("/logout")
def logout() -> Any:
    if signed_in() is None:
        return redirect(url_for("staff.login"))
    return render_template("staff/logout.html")


@bp.post("/logout")
def logout_post() -> Any:
    found = signed_in()
    if found is not None:
        sign_out(db.session(), found[0], found[1], now())
    session.clear()
    resp = redirect(url_for("staff.login", bye=1))
    clear_cookie(resp)
    return resp


@bp.get("/")
@staff_page(*STAFF_ROLES)
def home() -> Any:
    last = today().replace(day=1)
    months = {"first": add_months(last, -5).strftime("%Y-%m"), "last": last.strftime("%Y-%m")}
    role = g.user.role
    return render_template(
        "staff/home.html",
        reports=role in (Role.manager, Role.admin),
        audit=role in (Role.finance, Role.admin),
        reconciliation=role in (Role.finance, Role.admin),
        queue=role in (Role.finance, Role.admin),
        months=months,
    )
