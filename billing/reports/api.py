"""``/api/v1/reports``: coverage and churn per region and months, for managers. JSON by default;
``format=csv`` (with ``table=``), ``text``, ``html`` (also for ``Accept: text/html``) or ``pdf``."""

from typing import Any

from flask import Response, request
from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import roles
from billing.auth.models import Role
from billing.reports import render, service
from billing.reports.schemas import ChurnReport, CoverageReport, ReportQuery
from billing.settings import current, today

tag = Tag(name="reports", description="Cakupan dan peserta keluar-masuk / Coverage and churn")
bp = APIBlueprint("reports", __name__, url_prefix="/api/v1/reports", abp_tags=[tag])


# 404: an unknown region. The other formats' media types and the PDF's 503 are documented by
# billing/openapi_doc.py from the ``format`` choices.


def _format(query: ReportQuery) -> str:
    if query.format:
        return query.format
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return "html" if best == "text/html" else "json"


def _answer(report: ChurnReport | CoverageReport, query: ReportQuery) -> Any:
    fmt = _format(query)
    if fmt == "json":
        return report.model_dump(mode="json")
    if fmt == "csv":
        name, _ = render.table(report, query.table)
        body: str | bytes = render.to_csv(report, name)
        disposition = f'attachment; filename="{render.file_name(report, "csv", name)}"'
    elif fmt == "pdf":
        body = render.to_pdf(report, current().report_chromium)
        disposition = f'inline; filename="{render.file_name(report, "pdf")}"'
    else:
        body = render.to_html(report) if fmt == "html" else render.to_text(report)
        disposition = ""
    resp = Response(body, mimetype=render.MEDIA_TYPES[fmt].split(";")[0])
    if disposition:
        resp.headers["Content-Disposition"] = disposition
    return resp


@bp.get("/coverage", responses={200: CoverageReport, 404: None})
@roles(Role.manager, Role.admin)
def coverage_report(query: ReportQuery):  # type: ignore[no-untyped-def]
    """Cakupan per bulan terhadap target UCJ / Coverage per month against the UCJ target"""
    report = service.coverage_report(db.engine(), query.region, query.first, query.last, today())
    return _answer(report, query)


@bp.get("/churn", responses={200: ChurnReport, 404: None})
@roles(Role.manager, Role.admin)
def churn_report(query: ReportQuery):  # type: ignore[no-untyped-def]
    """Air terjun peserta aktif dan penyebab keluar / Active participants waterfall and why they lapsed"""
    report = service.churn_report(db.engine(), query.region, query.first, query.last, today())
    return _answer(report, query)
