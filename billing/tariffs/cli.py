import click
from flask.cli import with_appcontext


@click.group(help="Tarif iuran / Contribution tariffs")
def tariffs() -> None:
    pass


@tariffs.command(
    "discount-credit",
    help="Setelah baris tarif ditambah: bulan berharga penuh dalam masa diskon jadi saldo / "
    "After adding a tariff row: full-price months inside a discount window become credit",
)
@with_appcontext
def discount_credit() -> None:
    from billing import db
    from billing.payments.discount_credit import grant
    from billing.settings import today

    with db.unit_of_work(db.engine()) as session:
        done = grant(session, today())
    click.echo(
        f"{done.months} bulan dihitung ulang, Rp {done.credited} jadi saldo, Rp {done.applied} dipakai / "
        f"{done.months} months priced down, Rp {done.credited} credited, Rp {done.applied} applied"
    )
