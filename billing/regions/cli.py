import click
from flask.cli import with_appcontext


@click.group(help="Wilayah dan angkatan kerja / Regions and workforce")
def regions() -> None:
    pass


@regions.command("import-workforce", help="Impor pekerja potensial dan target dari CSV / Import workforce CSV")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_workforce(file: str) -> None:
    from billing import db
    from billing.errors import BillingError
    from billing.regions.service import import_workforce_csv

    with open(file, encoding="utf-8-sig", newline="") as fh:
        try:
            with db.unit_of_work(db.engine()) as session:
                count = import_workforce_csv(session, fh)
        except BillingError as exc:
            # Every bad line at once, so the file can be fixed in one go.
            lines = [f"  baris/line {e.get('line')}: {e.get('field')}: {e.get('message')}" for e in exc.errors or []]
            raise click.ClickException("\n".join([exc.detail, *lines])) from exc
    click.echo(f"imported {count} rows")
