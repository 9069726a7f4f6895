"""``billing reconcile import FILE``: a settlement file matched with our receipts, counts per result.

Exit status: 0 when the file agrees with our books (or was imported before: nothing changed), 1 when
the file is refused (nothing written, every bad line printed), 3 when it was imported and found
mismatches (so a scheduled import can alert); 2 is click's usage error."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from billing.reconciliation.models import SettlementFormat

EXIT_MISMATCHES = 3


@click.group("reconcile", help="Rekonsiliasi dengan penyelesaian gateway / Reconciliation with the settlement")
def reconcile() -> None:
    pass


@reconcile.command("import", help="Impor berkas penyelesaian (CSV) / Import a settlement file (CSV)")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in SettlementFormat]),
    default=None,
    help="Bawaan: dari kepala kolom / Default: from the header",
)
@click.option(
    "--gateway",
    default=None,
    help="Bawaan: stripe untuk berkas Stripe, BILLING_GATEWAY untuk bank / Default: stripe, or BILLING_GATEWAY",
)
@with_appcontext
def import_command(file: Path, fmt: str | None, gateway: str | None) -> None:
    from billing import db
    from billing import settings as settings_mod
    from billing.audit.service import record
    from billing.errors import BillingError
    from billing.reconciliation.service import import_file

    settings = settings_mod.current()
    try:
        with db.unit_of_work(db.engine()) as session:
            done = import_file(
                session,
                file.read_bytes(),
                filename=file.name,
                tz=settings.timezone,
                default_gateway=settings.gateway,
                fmt=SettlementFormat(fmt) if fmt else None,
                gateway=gateway,
                channel="cli",
            )
            if not done.duplicate:
                r = done.record
                counts = {k: getattr(r, k) for k in ("lines", "matched", "file_only", "amount_differs", "books_only")}
                record(
                    session,
                    action="reconciliation.import",
                    target=("reconciliation_import", r.id or 0),
                    after={"filename": r.filename, "sha256": r.sha256, **counts},
                )
    except BillingError as exc:
        lines = [f"  baris/line {e.get('line', '-')}: {e.get('field')}: {e.get('message')}" for e in exc.errors or []]
        raise click.ClickException("\n".join([exc.detail, *lines])) from exc
    r = done.record
    if done.duplicate:
        click.echo(f"sudah diimpor / already imported as #{r.id} ({r.imported_at:%Y-%m-%d %H:%M} UTC): nothing changed")
        return
    click.echo(f"import #{r.id}: {r.format} file of gateway {r.gateway}, {r.first_day} .. {r.last_day}")
    click.echo(f"  lines            {r.lines:>8} ({r.repeated} already imported)")
    for label, value in (
        ("matched", r.matched),
        ("file_only", r.file_only),
        ("amount_differs", r.amount_differs),
        ("books_only", r.books_only),
        ("other", r.other),
        ("closed", r.closed),
    ):
        click.echo(f"  {label:<16} {value:>8}")
    if done.mismatches:
        click.echo(f"{done.mismatches} ketidakcocokan / mismatches: see /staff/reconciliation?import_id={r.id}")
        raise SystemExit(EXIT_MISMATCHES)
