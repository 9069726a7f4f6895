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
            count = import_workforce_csv(db.session(), fh)
        except BillingError as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(f"imported {count} rows")
