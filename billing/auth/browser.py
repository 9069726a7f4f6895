"""The browser side of sign-in: the session cookie, the clock it is judged by, and CSRF (Flask-WTF's
CSRFProtect, checked only where a cookie authenticates: bearer-token API calls cannot be forged)."""

from collections.abc import Callable
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect

from billing import db
from billing.auth.models import ApiUser, StaffSession
from billing.auth.signin import resolve
from billing.errors import Forbidden
from billing.settings import Settings, current
from billing.timeutil import utcnow

COOKIE = "billing_staff"
# Flask's own signed cookie: it holds only the CSRF secret (the login form needs one before any session).
CSRF_COOKIE = "billing_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
csrf = CSRFProtect()


class _CsrfCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, ``Secure`` on an HTTPS request as the session cookie is."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def init_app(app: Flask, settings: Settings, now: Callable[[], datetime] = utcnow) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.staff_session_hours * 3600,
        SESSION_COOKIE_NAME=CSRF_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.staff_cookie_secure,
    )
    app.session_interface = _CsrfCookie()
    app.extensions["billing.now"] = now
    csrf.init_app(app)


def now() -> datetime:
    return current_app.extensions["billing.now"]()


def signed_in() -> tuple[StaffSession, ApiUser] | None:
    """This request's live browser session and its user (read once per request)."""
    if "staff" not in g:
        clear = request.cookies.get(COOKIE)
        g.staff = resolve(db.session(), current(), clear, now()) if clear else None
    return g.staff


def check_csrf() -> None:
    """A state-changing request made with the cookie must carry the form's (or X-CSRFToken) token."""
    if request.method in SAFE_METHODS:
        return
    try:
        csrf.protect()
    except CSRFError as exc:
        raise Forbidden(
            "Token CSRF tidak ada atau tidak valid; muat ulang halaman. / The CSRF token is missing or invalid; "
            "reload the page.",
            code="csrf_failed",
        ) from exc


def set_cookie(resp: Response, clear: str, name: str = COOKIE, path: str = "/") -> None:
    """The session cookie (the staff's by default; the workers' has its own name and path)."""
    # No max_age: a browser session cookie; the server ends the session itself (idle and absolute limits).
    resp.set_cookie(
        name,
        clear,
        httponly=True,
        secure=current().staff_cookie_secure or request.is_secure,
        samesite="Lax",
        path=path,
    )


def clear_cookie(resp: Response, name: str = COOKIE, path: str = "/") -> None:
    resp.delete_cookie(name, path=path, httponly=True, samesite="Lax")
