"""Every API write leaves an audit record, made here rather than in each view.

What is recorded: POST/PUT/PATCH/DELETE under the API prefix by a known caller (a token or a staff
session), that succeeded (2xx/3xx) or was refused (4xx). A success is recorded in the request's own
transaction, so the record commits with the change or not at all. A refusal's transaction is rolled
back, so its record is committed apart, in a short transaction of its own. Not recorded: 401s (no one
to name: the access log has them), 5xx (nothing changed; the error log has them), and ``@public``
endpoints (gateway webhooks, kept whole in their own table)."""

from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy import inspect

from billing import db
from billing.audit.mask import body_for_audit
from billing.audit.models import AuditRecord
from billing.audit.service import build, record_apart
from billing.auth.guard import PUBLIC_ATTR

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _target(resp: Response) -> tuple[str, str | int] | None:
    kind = request.blueprint or "api"
    args = request.view_args or {}
    if args:
        return kind, str(list(args.values())[-1])
    body = resp.get_json(silent=True) if resp.is_json and not resp.is_streamed else None
    if isinstance(body, dict) and isinstance(body.get("id"), int | str):
        return kind, body["id"]
    return None


def _body(resp: Response) -> Any:
    # A body over the size limit (413) is not read again: reading it is what raised.
    if not request.is_json or resp.status_code == 413:
        return None
    try:
        return request.get_json(silent=True)
    except RecursionError:  # nested too deeply to parse (the request got 400 for it)
        return None


def _entry(resp: Response) -> AuditRecord:
    data = _body(resp)
    # Read without loading: the request's session may hold a failed flush (its rows then expired).
    state = inspect(g.user)
    role = state.dict.get("role")
    return build(
        action=request.endpoint or "unknown",
        target=_target(resp),
        after={"method": request.method, "request": body_for_audit(data, request.content_length or 0)},
        status=resp.status_code,
        who=(state.identity[0] if state.identity else None, str(role) if role is not None else None),
    )


def init_app(app: Flask, api_prefix: str) -> None:
    """Register after ``db.end_request``: after-request hooks run last-registered first, so this runs
    before the request's transaction is committed or rolled back."""

    @app.after_request
    def _audit_api_write(resp: Response) -> Response:
        if request.method not in WRITE_METHODS or not request.path.startswith(api_prefix + "/"):
            return resp
        view = current_app.view_functions.get(request.endpoint or "")
        if view is None or getattr(view, PUBLIC_ATTR, False) or g.get("user") is None or resp.status_code >= 500:
            return resp
        entry = _entry(resp)
        if resp.status_code < 400:
            db.session().add(entry)
        else:
            # Release the refused request's locks first (SQLite allows one writer at a time).
            db.rollback_session()
            record_apart(db.engine(), entry)
        return resp
