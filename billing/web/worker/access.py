"""The workers' blueprint (``/saya``): their browser session, the language they read (Indonesian, or
English with ``?lang=en``), and who may open which page. A page of another participant's row is 404."""

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from billing import db
from billing.auth import browser, workers
from billing.auth.browser import check_csrf, now
from billing.auth.guard import ROLES_ATTR
from billing.auth.models import Role
from billing.errors import BillingError, NotFound
from billing.participants import service as participants
from billing.settings import current

bp = Blueprint(
    "worker",
    __name__,
    url_prefix="/saya",
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)

COOKIE = "billing_worker"
PATH = "/saya"  # the workers' cookie opens their pages only
LANG_COOKIE = "billing_lang"
LANGS = ("id", "en")


def choose_lang() -> None:
    """``g.lang``: the one asked for (``?lang=en``), else the one kept in the cookie, else Indonesian."""
    asked = request.args.get("lang")
    g.lang = asked if asked in LANGS else request.cookies.get(LANG_COOKIE, "id")
    if g.lang not in LANGS:
        g.lang = "id"


def keep_lang(resp: Response, path: str) -> None:
    """A language asked for is kept for the pages under ``path`` (the workers' and the agents' apart)."""
    if request.args.get("lang") in LANGS:
        resp.set_cookie(LANG_COOKIE, g.lang, max_age=365 * 86400, samesite="Lax", path=path, httponly=True)


@bp.before_request
def _start() -> None:
    check_csrf()  # every form carries the token, the sign-in form too
    choose_lang()


@bp.after_request
def _finish(resp: Response) -> Response:
    if not request.path.startswith("/saya/static/"):
        resp.headers["Cache-Control"] = "no-store"  # names, NIKs and amounts: no copy kept
    keep_lang(resp, PATH)
    return resp


@bp.app_template_global("t")
def t(indonesian: str, english: str) -> str:
    """The text in the reader's language."""
    return english if g.get("lang") == "en" else indonesian


@bp.app_template_global("lang_url")
def lang_url(lang: str) -> str:
    """This page in ``lang``; after a form that has no page of its own, its blueprint's home page."""
    rule = request.url_rule
    path = request.path if rule is not None and "GET" in (rule.methods or ()) else url_for(f"{request.blueprint}.home")
    return f"{path}?lang={lang}"


@bp.app_template_filter("rp")
def rp(amount: int) -> str:
    """Rp 16.800 (Indonesian), Rp 16,800 (English)."""
    return "Rp " + format_decimal(amount, locale=g.get("lang", "id"))


@bp.app_template_filter("day")
def day(value: date) -> str:
    return format_date(value, format="long", locale=g.get("lang", "id"))


@bp.app_template_filter("month")
def month(value: date) -> str:
    return format_date(value, format="MMMM y", locale=g.get("lang", "id"))


def signed_in() -> Any:
    """This request's live worker session and its user, or None (read once per request)."""
    if "worker_found" not in g:
        clear = request.cookies.get(COOKIE)
        g.worker_found = workers.resolve(db.session(), current(), clear, now()) if clear else None
    return g.worker_found


def worker_page(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The page needs a worker's live session; ``g.user`` and ``g.participant`` are theirs."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        found = signed_in()
        if found is None:
            return redirect(url_for("worker.sign_in", next=request.full_path.rstrip("?")))
        g.worker_session, g.user = found
        g.participant = participants.get(db.session(), g.user.participant_id)
        return fn(*args, **kwargs)

    setattr(inner, ROLES_ATTR, frozenset({Role.worker}))  # what tests/test_roles.py checks
    return inner


def not_theirs(what: str) -> NotFound:
    """Another participant's row: 404, as for a row that does not exist."""
    return NotFound(f"{what} tidak ditemukan. / Not found.", code="not_found")


def safe_next(target: str | None) -> str:
    if target and target.startswith("/saya/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("worker.home")


def set_cookie(resp: Response, clear: str) -> None:
    browser.set_cookie(resp, clear, COOKIE, PATH)


def clear_cookie(resp: Response) -> None:
    browser.clear_cookie(resp, COOKIE, PATH)


@bp.errorhandler(BillingError)
def _error_page(exc: BillingError) -> Any:
    return render_template("worker/error.html", error=exc), exc.status
