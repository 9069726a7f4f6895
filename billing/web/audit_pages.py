"""The audit viewer: filters, keyset pages, and the CSV export (streamed)."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, render_template, request, stream_with_context
from pydantic import ValidationError
from sqlmodel import Session

from billing import db
from billing.audit import service
from billing.audit.models import AuditRecord
from billing.audit.schemas import AuditQuery
from billing.auth.models import Role
from billing.auth.service import list_users
from billing.errors import field_errors
from billing.settings import current
from billing.web.access import bp, staff_page
from billing.web.csv_cells import text_cell

AUDITORS = (Role.admin, Role.finance)
COLUMNS = [
    "id", "at", "user_id", "role", "action", "target_type", "target_id",
    "before", "after", "reason", "status", "channel", "request_id", "source_ip",
]  # fmt: skip


def _query() -> AuditQuery:
    # Empty form fields mean "any".
    return AuditQuery.model_validate({k: v for k, v in request.args.items() if v != ""})


def local(at: datetime) -> str:
    return at.astimezone(ZoneInfo(current().timezone)).strftime("%Y-%m-%d %H:%M:%S")


@bp.get("/audit")
@staff_page(*AUDITORS)
def audit() -> Any:
    try:
        query = _query()
    except ValidationError as exc:
        return render_template("staff/audit.html", rows=[], errors=field_errors(exc), users={}, args=request.args), 422
    rows, cursor = service.page(db.session(), query.to_filter(current().timezone), query.cursor, query.limit)
    users = {u.id: u for u in list_users(db.session())}
    more = {k: v for k, v in request.args.items() if k != "cursor"} | {"cursor": cursor} if cursor else None
    csv_args = {k: v for k, v in request.args.items() if k not in ("cursor", "limit")}
    return render_template(
        "staff/audit.html", rows=rows, users=users, args=request.args, more=more, csv_args=csv_args, local=local
    )


def _cell(value: Any) -> str:
    return text_cell(
        json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else "" if value is None else str(value)
    )


def _csv_rows(f: service.AuditFilter) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    # Its own session: the request's has been committed and closed before the body streams.
    with Session(db.engine()) as s:
        for row in service.stream(s, f):
            record: AuditRecord = row
            writer.writerow([_cell(local(record.at) if c == "at" else getattr(record, c)) for c in COLUMNS])
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@bp.get("/audit.csv")
@staff_page(*AUDITORS)
def audit_csv() -> Any:
    try:
        query = _query()
    except ValidationError as exc:
        return render_template("staff/audit.html", rows=[], errors=field_errors(exc), users={}, args=request.args), 422
    body = stream_with_context(_csv_rows(query.to_filter(current().timezone)))
    resp = Response(body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return resp
