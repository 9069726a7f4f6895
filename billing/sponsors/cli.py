import click
from flask.cli import with_appcontext


@click.group(help="Sponsor dan tagihannya / Sponsors and their invoices")
def sponsors() -> None:
    pass


@sponsors.command("invoice", help="Buat tagihan sponsor satu bulan / Create a month's sponsor invoices")
@click.option("--period", required=True, metavar="YYYY-MM")
@with_appcontext
def invoice(period: str) -> None:
    from billing import db
    from billing.sponsors.invoices import create_for_period
    from billing.timeutil import parse_period

    try:
        month = parse_period(period)
    except ValueError as exc:
        raise click.BadParameter("periode harus YYYY-MM / period must be YYYY-MM", param_hint="--period") from exc
    with db.unit_of_work(db.engine()) as session:
        created = create_for_period(session, month)
    click.echo(f"{created} tagihan dibuat untuk {month:%Y-%m} / {created} invoices created for {month:%Y-%m}")
