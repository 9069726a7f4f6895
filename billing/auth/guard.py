"""Who may call what. Every ``/api/v1`` view declares its roles with ``@roles(...)``;
a view that declares none is refused to everyone (deny by default)."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from billing import db
from billing.auth.models import ApiUser, Role
from billing.auth.service import authenticate
from billing.errors import Forbidden, NotFound

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


def check_request() -> None:
    """``before_request`` for ``/api/v1``: 401 before 403 before any validation or write."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, PUBLIC_ATTR, False):
        return
    user = authenticate(db.session(), request.headers.get("Authorization"))
    g.user = user
    allowed: frozenset[Role] = getattr(view, ROLES_ATTR, frozenset())
    if user.role not in allowed:
        raise Forbidden(
            f"Peran '{user.role}' tidak boleh memakai layanan ini. / Role '{user.role}' may not use this.",
            code="role_not_allowed",
        )


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
