"""Reconciliation in the workspace: the mismatch queue (filters, keyset pages, CSV), resolving an item
with a reason, and uploading a settlement file. Finance and admins only; every change is audited."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Response, g, redirect, render_template, request, stream_with_context, url_for
from pydantic import ValidationError
from sqlmodel import Session
from werkzeug.exceptions import RequestEntityTooLarge

from billing import db
from billing.audit.service import record
from billing.auth.browser import now, signed_in
from billing.auth.models import Role
from billing.auth.service import list_users
from billing.errors import BillingError, InvalidInput, field_errors
from billing.gateways.registry import known_gateways
from billing.reconciliation import service
from billing.reconciliation.models import ItemKind, ReconciliationItem, SettlementFormat
from billing.reconciliation.parsers import BANK_REQUIRED, BANK_STATUSES, STRIPE_REQUIRED
from billing.reconciliation.schemas import ItemQuery, ResolveBody
from billing.requests import accepts_upload
from billing.settings import current
from billing.web.access import bp, safe_next, staff_page
from billing.web.audit_pages import local

FINANCE = (Role.admin, Role.finance)
CSV_COLUMNS = [
    "id", "kind", "import_id", "gateway", "day", "reference", "idempotency_key", "file_amount", "books_amount",
    "source", "book_id", "participant_id", "note", "created_at", "resolved_at", "resolved_by", "resolution",
]  # fmt: skip
KINDS = {
    ItemKind.file_only: ("Di berkas, tidak di buku", "In the file, not in our books"),
    ItemKind.books_only: ("Di buku, tidak di berkas", "In our books, not in the file"),
    ItemKind.amount_differs: ("Jumlah berbeda", "Amount differs"),
}
RECENT_IMPORTS = 10


def rp(amount: int | None) -> str:
    return "—" if amount is None else "Rp " + f"{amount:,}".replace(",", ".")


def _query() -> ItemQuery:
    # Empty form fields mean "any"; the queue opens on what is still open.
    # ``uploaded`` only tells the page to greet an upload.
    args = {k: v for k, v in request.args.items() if v != "" and k != "uploaded"}
    if "resolved" not in request.args:
        args["resolved"] = "false"
    elif args.get("resolved") == "all":
        args.pop("resolved")
    return ItemQuery.model_validate(args)


def _page(query: ItemQuery | None, errors: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    session = db.session()
    rows, cursor = service.items_page(session, query.to_filter(), query.cursor, query.limit) if query else ([], None)
    imports, _ = service.imports_page(session, None, RECENT_IMPORTS)
    args = request.args
    summary = service.get_import(session, query.import_id) if query and query.import_id else None
    more = {k: v for k, v in args.items() if k != "cursor"} | {"cursor": cursor} if cursor else None
    csv_args = {k: v for k, v in args.items() if k not in ("cursor", "limit")}
    page = render_template(
        "staff/reconciliation.html",
        rows=rows,
        imports=imports,
        summary=summary,
        kinds=KINDS,
        args=args,
        more=more,
        csv_args=csv_args,
        errors=errors,
        local=local,
        rp=rp,
        users={u.id: u for u in list_users(session)},
        back=request.full_path.rstrip("?"),
    )
    return page, status


@bp.get("/reconciliation")
@staff_page(*FINANCE)
def reconciliation() -> Any:
    try:
        query = _query()
    except ValidationError as exc:
        return _page(None, field_errors(exc), 422)
    return _page(query)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with one of these as a formula (a reference is the bank's text).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _csv_rows(f: service.ItemFilter) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    # Its own session: the request's has been committed and closed before the body streams.
    with Session(db.engine()) as s:
        for item in service.items_stream(s, f):
            row: ReconciliationItem = item
            writer.writerow(
                [
                    _cell(local(v) if c in ("created_at", "resolved_at") and v else v)
                    for c, v in ((c, getattr(row, c)) for c in CSV_COLUMNS)
                ]
            )
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@bp.get("/reconciliation.csv")
@staff_page(*FINANCE)
def reconciliation_csv() -> Any:
    try:
        query = _query()
    except ValidationError as exc:
        return _page(None, field_errors(exc), 422)
    resp = Response(stream_with_context(_csv_rows(query.to_filter())), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="reconciliation.csv"'
    return resp


@bp.post("/reconciliation/items/<int:item_id>/resolve")
@staff_page(*FINANCE)
def reconciliation_resolve(item_id: int) -> Any:
    try:
        body = ResolveBody.model_validate({"reason": request.form.get("reason", "")})
    except ValidationError as exc:
        raise InvalidInput(
            "Alasan wajib diisi (minimal 3 karakter). / A reason is required (at least 3 characters).",
            code="reason_required",
            errors=field_errors(exc),
        ) from exc
    session = db.session()
    item = service.resolve(session, item_id, body.reason, g.user.id, now())
    record(
        session,
        action="reconciliation.resolve",
        target=("reconciliation_item", item_id),
        before={"kind": str(item.kind), "resolved": False},
        after={"resolved": True, "file_amount": item.file_amount, "books_amount": item.books_amount},
        reason=body.reason,
    )
    return redirect(safe_next(request.form.get("next") or url_for("staff.reconciliation")), 303)


def _upload_page(error: BillingError | None = None, status: int = 200, form: Any = None) -> Any:
    page = render_template(
        "staff/reconciliation_upload.html",
        error=error,
        formats=list(SettlementFormat),
        gateways=known_gateways(),
        default_gateway=current().gateway,
        stripe_columns=STRIPE_REQUIRED,
        bank_columns=BANK_REQUIRED,
        bank_statuses=BANK_STATUSES,
        max_mb=current().max_upload_bytes // (1024 * 1024),
        form=request.form if form is None else form,
    )
    return page, status


@bp.get("/reconciliation/upload")
@staff_page(*FINANCE)
def reconciliation_upload() -> Any:
    return _upload_page()


@bp.post("/reconciliation/upload")
@staff_page(*FINANCE)
@accepts_upload
def reconciliation_upload_post() -> Any:
    file = request.files.get("file")
    fmt = request.form.get("format") or None
    gateway = request.form.get("gateway") or None
    settings = current()
    try:
        if file is None or not file.filename:
            raise InvalidInput("Pilih berkas CSV. / Choose a CSV file.", code="file_missing")
        if fmt not in (None, *SettlementFormat):
            raise InvalidInput(f"Format tidak dikenal: {fmt}. / Unknown format: {fmt}.", code="invalid_input")
        done = service.import_file(
            db.session(),
            file.read(),
            filename=file.filename,
            tz=settings.timezone,
            default_gateway=settings.gateway,
            fmt=SettlementFormat(fmt) if fmt else None,
            gateway=gateway,
            user_id=g.user.id,
            channel="web",
        )
    except BillingError as exc:
        # Nothing was written: the request's transaction is rolled back with the error status.
        return _upload_page(exc, exc.status)
    r = done.record
    if not done.duplicate:
        counts = {k: getattr(r, k) for k in ("lines", "matched", "file_only", "amount_differs", "books_only")}
        record(
            db.session(),
            action="reconciliation.import",
            target=("reconciliation_import", r.id or 0),
            after={"filename": r.filename, "sha256": r.sha256, "gateway": r.gateway, **counts},
        )
    shown = {"import_id": r.id, "resolved": "all", "uploaded": "again" if done.duplicate else "new"}
    return redirect(url_for("staff.reconciliation", **shown), 303)


class FileTooLarge(BillingError):
    status = 413
    code = "payload_too_large"
    title = "Berkas terlalu besar / File too large"


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> Any:
    """Raised while the CSRF check reads the form, before the page's own checks: the upload form is shown
    again only to someone who may see it."""
    limit = current().max_upload_bytes // (1024 * 1024)
    error = FileTooLarge(
        f"Berkas lebih dari {limit} MB; pecah menjadi beberapa berkas. / The file is over {limit} MB; split it."
    )
    found = signed_in()
    if request.endpoint == "staff.reconciliation_upload_post" and found and found[1].role in FINANCE:
        g.staff_session, g.user = found
        return _upload_page(error, 413, form={})  # the form was not read: reading it is what failed
    return render_template("staff/error.html", error=error), 413
