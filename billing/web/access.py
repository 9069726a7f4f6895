"""The workspace's blueprint and who may open which page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from billing.auth.browser import check_csrf, signed_in
from billing.auth.guard import ROLES_ATTR
from billing.auth.models import Role
from billing.errors import BillingError, Forbidden

bp = Blueprint(
    "staff",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.before_request
def _csrf() -> None:
    # Every form, the sign-in form included (login CSRF), carries the token.
    check_csrf()


@bp.after_request
def _no_store(resp: Response) -> Response:
    if not request.path.startswith("/staff/static/"):
        resp.headers["Cache-Control"] = "no-store"  # names, actions and amounts: no copy kept
    return resp


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would lend our sign-in page to phishing."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("staff.home")


def staff_page(*allowed: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The page needs a live session; a role not in ``allowed`` gets 403 (deny by default)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            found = signed_in()
            if found is None:
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            g.staff_session, g.user = found
            if g.user.role not in allowed:
                raise Forbidden(
                    "Peran Anda tidak boleh membuka halaman ini. / Your role may not open this page.",
                    code="role_not_allowed",
                )
            return fn(*args, **kwargs)

        setattr(inner, ROLES_ATTR, frozenset(allowed))  # what tests/test_roles.py checks
        return inner

    return wrap


@bp.errorhandler(BillingError)
def _error_page(exc: BillingError) -> Any:
    return render_template("staff/error.html", error=exc), exc.status
