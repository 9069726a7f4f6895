"""``billing report churn|coverage|refresh``."""

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from billing import settings as settings_mod

_DATE = click.DateTime(formats=["%Y-%m-%d"])
_FORMATS = ("text", "csv", "json", "html", "pdf")


@click.group("report", help="Laporan cakupan dan churn / Coverage and churn reports")
def report() -> None:
    pass


def _options(fn):  # type: ignore[no-untyped-def]
    for option in reversed(
        (
            click.option("--region", default=None, help="15 atau 19.71; kosong: nasional / empty: national"),
            click.option("--from", "first", required=True, help="YYYY-MM"),
            click.option("--to", "last", required=True, help="YYYY-MM"),
            click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True),
            click.option("--table", default=None, help="Tabel untuk CSV / The table for CSV"),
            click.option(
                "--output",
                type=click.Path(dir_okay=False),
                default=None,
                help="Berkas / File (html, pdf: default name)",
            ),
            click.option("--today", type=_DATE, default=None, help="YYYY-MM-DD (default: hari ini / today)"),
        )
    ):
        fn = option(fn)
    return fn


def _emit(
    kind: str,
    region: str | None,
    first: str,
    last: str,
    fmt: str,
    table: str | None,
    output: str | None,
    today: datetime | None,
) -> None:
    from billing import db
    from billing.errors import BillingError
    from billing.reports import render, service

    day = today.date() if today else settings_mod.today()
    build = service.churn_report if kind == "churn" else service.coverage_report
    try:
        made = build(db.engine(), region, first, last, day)
        if fmt == "pdf":
            body: str | bytes = render.to_pdf(made, settings_mod.current().report_chromium)
        elif fmt == "html":
            body = render.to_html(made)
        elif fmt == "csv":
            body = render.to_csv(made, table)
        elif fmt == "json":
            body = made.model_dump_json(indent=2) + "\n"
        else:
            body = render.to_text(made)
    except BillingError as exc:
        problems = [f"  {e.get('field')}: {e.get('message')}" for e in exc.errors or []]
        raise click.ClickException("\n".join([exc.detail, *problems])) from exc
    if output is None and fmt in ("html", "pdf"):
        output = render.file_name(made, fmt)
    if output is None:
        click.echo(body, nl=False)
        return
    path = Path(output)
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body, encoding="utf-8")
    click.echo(f"{path} ({path.stat().st_size:,} bytes)")


@report.command("churn", help="Air terjun peserta aktif dan penyebabnya / Waterfall and causes")
@_options
@with_appcontext
def churn(region, first, last, fmt, table, output, today) -> None:  # type: ignore[no-untyped-def]
    _emit("churn", region, first, last, fmt, table, output, today)


@report.command("coverage", help="Cakupan terhadap target / Coverage against the target")
@_options
@with_appcontext
def coverage(region, first, last, fmt, table, output, today) -> None:  # type: ignore[no-untyped-def]
    _emit("coverage", region, first, last, fmt, table, output, today)


@report.command("refresh", help="Bangun ulang data laporan per bulan / Rebuild the monthly report figures")
@click.option("--from", "first", required=True, help="YYYY-MM")
@click.option("--to", "last", required=True, help="YYYY-MM")
@click.option("--today", type=_DATE, default=None, help="YYYY-MM-DD (default: hari ini / today)")
@with_appcontext
def refresh(first: str, last: str, today: datetime | None) -> None:
    from billing import db
    from billing.errors import BillingError
    from billing.reports import service, snapshot

    day = today.date() if today else settings_mod.today()
    try:
        start, end = service.period(first, last, day)
    except BillingError as exc:
        raise click.ClickException(exc.detail) from exc
    for month in snapshot.refresh(db.engine(), start, end, day):
        click.echo(f"built {month:%Y-%m}")
