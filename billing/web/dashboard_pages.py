"""The managers' dashboard: coverage against the UCJ target and churn for a region and its parts, a
click on a province to see its regencies, and links to the full reports (HTML, CSV, PDF)."""

import re
from datetime import date
from typing import Any

from flask import render_template, request, url_for

from billing import db
from billing.auth.models import Role
from billing.errors import InvalidInput
from billing.regions.models import Region
from billing.reports import dashboard
from billing.reports.fmt import dec, num, pct
from billing.reports.render import coverage_charts
from billing.reports.scope import NATIONAL_NAME
from billing.settings import today
from billing.timeutil import add_months
from billing.web.access import bp, staff_page

MANAGERS = (Role.manager, Role.admin)
REGION = re.compile(r"^\d{2}(\.\d{2})?$")
# Shown when no range is asked for: the last six months, this one included.
DEFAULT_MONTHS = 6
FORMATS = ("html", "csv", "pdf")


def default_months(day: date) -> tuple[str, str]:
    last = day.replace(day=1)
    return add_months(last, 1 - DEFAULT_MONTHS).strftime("%Y-%m"), last.strftime("%Y-%m")


def _filters() -> tuple[str | None, str, str]:
    region = request.args.get("region") or None
    if region is not None and not REGION.match(region):
        raise InvalidInput(
            "Kode wilayah tidak valid. / Invalid region code.",
            code="invalid_region",
            errors=[{"field": "region", "message": "19 atau / or 19.71", "type": "invalid_region"}],
        )
    first, last = default_months(today())
    return region, request.args.get("from") or first, request.args.get("to") or last


def report_links(region: str | None, first: str, last: str) -> dict[str, dict[str, str]]:
    """``{report: {format: url}}`` for the existing report pages of this view."""
    args = {"region": region, "from": first, "to": last} if region else {"from": first, "to": last}
    return {
        kind: {fmt: url_for(f"reports.{kind}_report", **args, format=fmt) for fmt in FORMATS}
        for kind in ("coverage", "churn")
    }


def trail(region: str | None) -> list[tuple[str | None, str]]:
    """The regions above this one, the country first, as ``(code, name)``: links back up."""
    if region is None:
        return []
    above: list[tuple[str | None, str]] = [(None, NATIONAL_NAME)]
    if "." in region:
        province = db.session().get(Region, region[:2])
        above.append((region[:2], province.name if province else region[:2]))
    return above


@bp.get("/dashboard")
@staff_page(*MANAGERS)
def dashboard_page() -> Any:
    region, first, last = None, *default_months(today())
    try:
        region, first, last = _filters()
        view = dashboard.build(db.engine(), region, first, last, today())
    except InvalidInput as exc:
        page = render_template(
            "staff/dashboard.html", view=None, errors=exc.errors or [], region=region, first=first, last=last
        )
        return page, 422
    return render_template(
        "staff/dashboard.html",
        view=view,
        errors=[],
        region=region,
        first=first,
        last=last,
        trail=trail(region),
        chart=coverage_charts(view.coverage)["trend"],
        links=report_links(region, first, last),
        num=lambda v: "–" if v is None else num(v, "id"),
        num_en=lambda v: num(v, "en"),
        pct=lambda v: pct(v, "id"),
        dec=lambda v: "–" if v is None else dec(v, "id"),
    )
