"""The failed-debit queue in the workspace: filters, sortable columns, keyset pages, the CSV export
(streamed), assigning a month, and bulk actions with a preview."""

import csv
import io
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from flask import Response, g, redirect, render_template, request, stream_with_context, url_for
from pydantic import ValidationError
from sqlmodel import Session, col, select

from billing import db
from billing.columns import BIGINT_MAX
from billing.errors import Conflict, NotFound, field_errors
from billing.failed_debits import assignment, bulk, service
from billing.failed_debits.api import QUEUE_ROLES, context
from billing.failed_debits.schemas import Order, QueueFilter, QueueQuery, QueueRow, SortKey
from billing.gateways.failures import FailureClass, FailureCode
from billing.mandates.models import MandateChannel
from billing.participants.models import Ecosystem
from billing.reports.fmt import num
from billing.reports.labels import CAUSES, ECOSYSTEMS
from billing.settings import today
from billing.sponsors.models import Sponsor
from billing.web.access import bp, safe_next, staff_page
from billing.web.csv_cells import text_cell

CSV_COLUMNS = [
    "contribution_id", "participant_id", "participant_name", "nik", "region_code", "region_name", "ecosystem",
    "channel", "display", "gateway", "amount", "period", "attempt_no", "attempted_on", "outcome", "failure_code",
    "gateway_code", "failure_class", "failure_label_id", "next_retry_on", "stopped_reason", "coverage_ends_on",
    "days_until_coverage_ends", "assignee_id", "assignee_name",
]  # fmt: skip

# The table's columns: (sort key, Indonesian, English).
HEADERS = [
    (SortKey.participant, "Peserta", "Participant"),
    (SortKey.region, "Wilayah", "Region"),
    (SortKey.channel, "Rekening", "Account"),
    (SortKey.amount, "Jumlah", "Amount"),
    (SortKey.month, "Bulan", "Month"),
    (SortKey.attempt, "Percobaan", "Attempt"),
    (SortKey.failure, "Kegagalan", "Failure"),
    (SortKey.next_retry, "Coba lagi", "Next retry"),
    (SortKey.coverage, "Cakupan berakhir", "Coverage ends"),
    (SortKey.assignee, "Petugas", "Assignee"),
]
FILTER_FIELDS = set(QueueFilter.model_fields)
# Filters shown at once; the others fold away until one is used.
FIRST_FILTERS = {"region", "failure_class", "failure_code", "assignee", "ends_within"}


def rupiah(value: int) -> str:
    return "Rp " + num(value, "id")


def _args(source: Any, fields: set[str] | None = None) -> dict[str, str]:
    """The non-empty arguments (an empty form field means "any"), only ``fields`` when given."""
    return {k: v for k, v in source.items() if v != "" and (fields is None or k in fields)}


def _choices() -> dict[str, Any]:
    session = db.session()
    sponsors = session.exec(select(Sponsor.id, Sponsor.name).order_by(col(Sponsor.name))).all()
    return {
        "outcomes": [("failed", "gagal", "failed"), ("unknown", "belum jelas", "unknown")],
        "classes": [(c.value, c.value) for c in FailureClass],
        "codes": [(c.value, CAUSES.get(c.value, (c.value, c.value))[0]) for c in FailureCode],
        "channels": [c.value for c in MandateChannel],
        "ecosystems": [(e.value, ECOSYSTEMS[e.value][0]) for e in Ecosystem],
        "sponsors": sponsors,
        "assignees": assignment.assignees(session),
        "actions": {k: a for k, a in bulk.BULK_ACTIONS.items() if g.user.role in a.roles},
    }


def _render(status: int = 200, **page: Any) -> Any:
    advanced = any(request.args.get(k) for k in FILTER_FIELDS - FIRST_FILTERS)
    return (
        render_template(
            "staff/queue.html",
            args=request.args,
            advanced=advanced,
            rupiah=rupiah,
            number=lambda v: num(v, "id"),
            headers=HEADERS,
            **_choices(),
            **page,
        ),
        status,
    )


@bp.get("/queue")
@staff_page(*QUEUE_ROLES)
def queue() -> Any:
    try:
        query = QueueQuery.model_validate(_args(request.args))
    except ValidationError as exc:
        return _render(422, rows=[], errors=field_errors(exc))
    session = db.session()
    ctx = context(g.user.id)
    rows, cursor = service.page(session, query, ctx)
    totals = service.totals(session, query.selection(), ctx)
    kept = _args(request.args) | {"sort": query.sort.value, "order": query.order.value}
    kept.pop("cursor", None)
    more = kept | {"cursor": cursor} if cursor else None
    return _render(
        rows=rows,
        totals=totals,
        query=query,
        kept=kept,
        more=more,
        selection=query.selection().args(),
        sort_link=lambda key: (
            kept | {"sort": key.value, "order": "desc" if query.sort is key and query.order is Order.asc else "asc"}
        ),
    )


def _csv_rows(query: QueueQuery, ctx: service.Context) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    values = itemgetter(*CSV_COLUMNS)
    # Its own session: the request's has been committed and closed before the body streams.
    with Session(db.engine()) as s:
        for n, row in enumerate(service.stream(s, query, ctx), start=1):
            writer.writerow([_cell(v) for v in values(row)])
            if n % 500 == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if type(value) is int:
        return value
    return text_cell(str(value))  # a StrEnum's str is its value, a date's its ISO form


@bp.get("/queue.csv")
@staff_page(*QUEUE_ROLES)
def queue_csv() -> Any:
    try:
        query = QueueQuery.model_validate(_args(request.args) | {"cursor": None})
    except ValidationError as exc:
        return _render(422, rows=[], errors=field_errors(exc))
    body = stream_with_context(_csv_rows(query, context(g.user.id)))
    resp = Response(body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="antrean-debit-gagal-{today():%Y-%m-%d}.csv"'
    return resp


def _month(contribution_id: int) -> QueueRow:
    found = service.one(db.session(), contribution_id, context(g.user.id)) if contribution_id <= BIGINT_MAX else None
    if found is None:
        raise NotFound(
            f"Iuran {contribution_id} tidak ada di antrean. / Contribution {contribution_id} is not in the queue.",
            code="not_in_queue",
        )
    return found


@bp.get("/queue/<int:contribution_id>/assign")
@staff_page(*QUEUE_ROLES)
def queue_assign(contribution_id: int) -> Any:
    row = _month(contribution_id)
    people = assignment.assignees(db.session())
    nxt = safe_next(request.args.get("next") or url_for("staff.queue"))
    return render_template("staff/queue_assign.html", row=row, people=people, next=nxt, rupiah=rupiah)


@bp.post("/queue/<int:contribution_id>/assign")
@staff_page(*QUEUE_ROLES)
def queue_assign_post(contribution_id: int) -> Any:
    row = _month(contribution_id)
    form = request.form
    who = form.get("assignee_id", "")
    assignee_id = int(who) if who.isdigit() and len(who) < 10 else None
    if who and assignee_id is None:
        raise NotFound("Petugas tidak dikenal. / Unknown staff member.", code="invalid_assignee")
    assignment.assign(db.session(), [row.contribution_id], assignee_id, g.user, form.get("reason", ""))
    return redirect(safe_next(form.get("next") or url_for("staff.queue")))


def _preview_page(preview: bulk.Preview, selection: QueueFilter, status: int = 200, changed: str | None = None) -> Any:
    act = bulk.BULK_ACTIONS[preview.action]
    return (
        render_template(
            "staff/queue_bulk.html",
            preview=preview,
            act=act,
            selection=selection.args(),
            people=assignment.assignees(db.session()),
            max_months=bulk.MAX_MONTHS,
            changed=changed,
            rupiah=rupiah,
        ),
        status,
    )


def _selection(source: Any) -> QueueFilter:
    return QueueFilter.model_validate(_args(source, FILTER_FIELDS))


@bp.get("/queue/bulk")
@staff_page(*QUEUE_ROLES)
def queue_bulk() -> Any:
    try:
        selection = _selection(request.args)
    except ValidationError as exc:
        return _render(422, rows=[], errors=field_errors(exc))
    key = request.args.get("action", "")
    preview = bulk.preview(db.session(), key, selection, context(g.user.id), g.user)
    return _preview_page(preview, selection)


@bp.post("/queue/bulk")
@staff_page(*QUEUE_ROLES)
def queue_bulk_post() -> Any:
    form = request.form
    try:
        selection = _selection(form)
    except ValidationError as exc:
        return _render(422, rows=[], errors=field_errors(exc))
    key = form.get("action", "")
    act = bulk.action(key, g.user)
    fields = set(act.params.model_fields) if act.params else set()
    params = {k: v for k, v in form.items() if k in fields and v != ""}
    session, ctx = db.session(), context(g.user.id)
    try:
        result = bulk.run(
            session, key, selection, ctx, g.user, form.get("reason", ""), params, form.get("fingerprint", "")
        )
    except Conflict as exc:
        if exc.code != "selection_changed":
            raise
        db.rollback_session()
        return _preview_page(bulk.preview(session, key, selection, ctx, g.user), selection, 409, exc.detail)
    return render_template("staff/queue_bulk_done.html", result=result, act=act, selection=selection.args())
