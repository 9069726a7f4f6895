"""Who may call what. Every ``/api/v1`` view declares its roles with ``@roles(...)``;
a view that declares none is refused to everyone (deny by default). The caller is a bearer token or,
without an Authorization header, a signed-in staff member's session cookie (then CSRF-checked)."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, g, redirect, request, url_for

from billing import db
from billing.auth.browser import COOKIE, check_csrf, signed_in
from billing.auth.models import ApiUser, Role
from billing.auth.service import authenticate
from billing.errors import Forbidden, NotFound, Unauthenticated

F = TypeVar("F", bound=Callable[..., Any])
ROLES_ATTR = "_billing_roles"
PUBLIC_ATTR = "_billing_public"
STAFF = (Role.admin, Role.finance, Role.manager)


def roles(*allowed: Role) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        setattr(fn, ROLES_ATTR, frozenset(allowed))
        return fn

    return mark


def public(fn: F) -> F:
    """For endpoints that authenticate otherwise (a webhook's signature)."""
    setattr(fn, PUBLIC_ATTR, True)
    return fn


def _browsing() -> bool:
    """A person following a link (a report the demo printed), not a program: send them to sign in."""
    best = request.accept_mimetypes.best_match(["application/json", "application/problem+json", "text/html"])
    return request.method == "GET" and best == "text/html"


def _caller() -> ApiUser | None:
    header = request.headers.get("Authorization")
    if header is None and request.cookies.get(COOKIE):
        found = signed_in()
        if found is None and _browsing():
            return None  # a link followed after the session ended: sign in again, then back to it
        if found is None:
            raise Unauthenticated(
                "Sesi berakhir; silakan masuk lagi. / The session has ended; sign in again.", code="session_expired"
            )
        check_csrf()
        return found[1]
    if header is None and _browsing():
        return None
    return authenticate(db.session(), header)


def check_request() -> Response | None:
    """``before_request`` for ``/api/v1``: 401 before 403 before any validation or write."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, PUBLIC_ATTR, False):
        return None
    user = _caller()
    if user is None:
        return redirect(url_for("staff.login", next=request.full_path))  # type: ignore[return-value]
    g.user = user
    allowed: frozenset[Role] = getattr(view, ROLES_ATTR, frozenset())
    if user.role not in allowed:
        raise Forbidden(
            f"Peran '{user.role}' tidak boleh memakai layanan ini. / Role '{user.role}' may not use this.",
            code="role_not_allowed",
        )
    return None


def current_user() -> ApiUser:
    return g.user


def visible_participant(participant_id: int) -> None:
    """A worker asking for someone else's record gets 404: we do not confirm it exists."""
    user = current_user()
    if user.role is Role.worker and user.participant_id != participant_id:
        raise NotFound(
            f"Peserta {participant_id} tidak ditemukan. / Participant {participant_id} not found.",
            code="participant_not_found",
        )
