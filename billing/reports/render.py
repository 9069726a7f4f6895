"""A report as JSON, CSV (one table), plain text, an HTML page with charts, or a PDF of that page."""

import csv
import io

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from billing.errors import InvalidInput
from billing.reports import charts
from billing.reports.fmt import dec, num, pct
from billing.reports.pdf import html_to_pdf
from billing.reports.schemas import ChurnReport, CoverageReport
from billing.reports.tables import Cell, Table, tables_of

Report = ChurnReport | CoverageReport
# A page lists this many rows of a breakdown (sponsors may be thousands); the CSV has them all.
PAGE_ROWS = 25
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}

_env = Environment(
    loader=PackageLoader("billing.reports", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    num=lambda v, lang="id": "–" if v is None else num(v, lang),
    pct=lambda v, lang="id": pct(v, lang),
    dec=lambda v, lang="id": "–" if v is None else dec(v, lang),
)


def file_name(report: Report, ext: str, table: str | None = None) -> str:
    region = report.region.code or "ID"
    suffix = f"-{table}" if table else ""
    return f"{report.report}-{region}-{report.first_month}-{report.last_month}{suffix}.{ext}"


def table(report: Report, name: str | None) -> tuple[str, Table]:
    """A report's table by name (its main table when None); 422 naming the choices otherwise."""
    found = tables_of(report)
    chosen = name or next(iter(found))
    if chosen not in found:
        raise InvalidInput(
            f"Tabel '{chosen}' tidak ada; pilih {', '.join(found)}. / No table '{chosen}'; choose {', '.join(found)}.",
            code="unknown_table",
            errors=[{"field": "table", "message": f"one of {', '.join(found)}", "type": "unknown_table"}],
        )
    return chosen, found[chosen]


def _cell(value: Cell) -> str:
    return "" if value is None else str(value)


def _spreadsheet_safe(value: Cell) -> str:
    """Text a spreadsheet would run as a formula (a sponsor named "=HYPERLINK(…)") gets a quote."""
    text = _cell(value)
    return "'" + text if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(report: Report, name: str | None = None) -> str:
    _, (columns, rows) = table(report, name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[_spreadsheet_safe(v) for v in row] for row in rows])
    return out.getvalue()


def to_text(report: Report) -> str:
    """The explanation in both languages, then every table, aligned for a terminal."""
    lines = [f"{report.region.name}: {report.report} {report.first_month}..{report.last_month}", ""]
    lines += [report.explanation.id, "", report.explanation.en, ""]
    for name, (columns, rows) in tables_of(report).items():
        if not rows:
            continue
        cells = [columns, *[[_cell(v) for v in row] for row in rows]]
        widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
        lines.append(f"== {name} ==")
        for r in cells:
            lines.append(
                "  ".join(v.rjust(w) if v[:1].isdigit() else v.ljust(w) for v, w in zip(r, widths, strict=True))
            )
        lines.append("")
    return "\n".join(lines)


def _churn_charts(r: ChurnReport) -> dict[str, Markup]:
    out = {
        "waterfall": charts.waterfall(
            "Air terjun peserta aktif / Active participants waterfall",
            [(s.label_id, s.sign, s.count) for s in r.waterfall.steps],
        ),
    }
    causes = next(b for b in r.breakdowns if b.dimension == "cause").rows
    out["causes"] = charts.bars(
        "Keluar dari aktif menurut penyebab / Lapses by cause",
        [charts.Bar(x.label_id, x.lapses, f"({pct(x.share_pct, 'id')})") for x in causes if x.lapses],
    )
    if r.cohorts:
        horizon = max(p.months_since for c in r.cohorts for p in c.points)
        out["cohorts"] = charts.lines(
            "Retensi kohort / Cohort retention",
            [str(k) for k in range(horizon + 1)],
            [
                (
                    c.cohort,
                    [
                        next((p.retention_pct for p in c.points if p.months_since == k), None)
                        for k in range(horizon + 1)
                    ],
                )
                for c in r.cohorts
            ],
            ceiling=100,
        )
    if r.regions:
        out["regions"] = charts.bars(
            "Perubahan peserta aktif per wilayah / Change in active participants by region",
            [
                charts.Bar(x.region.name, abs(x.change), "turun / down" if x.change < 0 else "")
                for x in r.regions
                if x.change
            ],
        )
    return out


def coverage_charts(r: CoverageReport) -> dict[str, Markup]:
    own = r.regions[0]
    target = own.months[-1].target_pct
    return {
        "trend": charts.lines(
            "Cakupan terhadap target / Coverage against the target",
            [m.month for m in own.months],
            [
                (x.region.name, [m.coverage_pct for m in x.months])
                for x in r.regions
                if x.months[-1].coverage_pct is not None
            ][:8],
            target=target,
            target_label=f"Target {pct(target, 'id')}" if target is not None else "",
        )
    }


def to_html(report: Report) -> str:
    if isinstance(report, ChurnReport):
        page, drawn = "churn.html", _churn_charts(report)
    else:
        page, drawn = "coverage.html", coverage_charts(report)
    return _env.get_template(page).render(r=report, charts=drawn, PAGE_ROWS=PAGE_ROWS)


def to_pdf(report: Report, chromium: str) -> bytes:
    return html_to_pdf(to_html(report), chromium)
