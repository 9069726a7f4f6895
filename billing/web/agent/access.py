"""The agents' blueprint (``/agen``): the language they read, and who may open which page. Anyone but an
agent is refused (403); another agent's worker or collection is 404."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from billing.auth.browser import check_csrf, signed_in
from billing.auth.guard import ROLES_ATTR
from billing.auth.models import Role
from billing.errors import BillingError, Forbidden
from billing.timeutil import parse_period
from billing.web.worker.access import choose_lang, keep_lang, month

bp = Blueprint("agent", __name__, url_prefix="/agen", template_folder="../templates")

PATH = "/agen"


@bp.before_request
def _start() -> None:
    check_csrf()  # every form carries the token, the sign-in form too
    choose_lang()


@bp.after_request
def _finish(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"  # names, NIKs and cash: no copy kept
    keep_lang(resp, PATH)
    return resp


@bp.app_template_filter("period")
def period(value: str) -> str:
    """A stored month ("2026-05") as the reader says it (Mei 2026)."""
    return month(parse_period(value))


def agent_page(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The page needs an agent's live session; ``g.user`` is the agent. Staff are refused: these pages
    act in an agent's name."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        found = signed_in()
        if found is None:
            return redirect(url_for("agent.sign_in", next=request.full_path.rstrip("?")))
        g.staff_session, g.user = found
        if g.user.role is not Role.agent:
            raise Forbidden(
                "Halaman ini hanya untuk agen Perisai. / This page is for Perisai agents only.",
                code="role_not_allowed",
            )
        return fn(*args, **kwargs)

    setattr(inner, ROLES_ATTR, frozenset({Role.agent}))  # what tests/test_roles.py checks
    return inner


def safe_next(target: str | None) -> str:
    if target and target.startswith("/agen/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("agent.home")


@bp.errorhandler(BillingError)
def _error_page(exc: BillingError) -> Any:
    return render_template("agent/error.html", error=exc), exc.status
