import click
from flask.cli import with_appcontext


@click.group(help="Iuran bulanan / Monthly contributions")
def contributions() -> None:
    pass


@contributions.command("generate", help="Buat iuran satu bulan untuk semua peserta / Generate a month's contributions")
@click.option("--period", required=True, metavar="YYYY-MM")
@click.option("--participant", "participant_ids", type=int, multiple=True, help="Hanya peserta ini / Only these")
@with_appcontext
def generate(period: str, participant_ids: tuple[int, ...]) -> None:
    from billing import db
    from billing.contributions.generation import generate as run
    from billing.errors import BillingError
    from billing.timeutil import parse_period

    try:
        month = parse_period(period)
    except ValueError as exc:
        raise click.BadParameter("periode harus YYYY-MM / period must be YYYY-MM", param_hint="--period") from exc
    try:
        with db.unit_of_work(db.engine()) as session:
            created = run(session, month, list(participant_ids) or None)
    except BillingError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"{created} iuran dibuat untuk {month:%Y-%m} / {created} contributions created for {month:%Y-%m}")
