"""The ``billing`` command (also ``flask --app billing …``)."""

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from billing import settings as settings_mod


def register_commands(app: Flask) -> None:
    from billing.auth.cli import users
    from billing.contributions.cli import contributions
    from billing.debits.cli import coverage, debit, ledger, scheduler, worker
    from billing.demo.cli import demo
    from billing.gateways.simulator.stripe_face.cli import gateway_sim
    from billing.notices.cli import notices
    from billing.reconciliation.cli import reconcile
    from billing.regions.cli import regions
    from billing.reports.cli import report
    from billing.simulation.cli import scenario, simulate
    from billing.sponsors.cli import sponsors
    from billing.tariffs.cli import tariffs

    for group in (
        db_group,
        users,
        regions,
        contributions,
        sponsors,
        demo,
        serve,
        debit,
        worker,
        scheduler,
        ledger,
        reconcile,
        coverage,
        notices,
        gateway_sim,
        report,
        simulate,
        scenario,
        tariffs,
    ):
        app.cli.add_command(group)


@click.group("db", help="Skema basis data / Database schema")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Terapkan migrasi Alembic sampai head / Apply migrations up to head")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    from billing.migrations import upgrade

    upgrade(settings_mod.current().database_url, revision)
    click.echo(f"database at {revision}")


@click.command(help="Jalankan server HTTP / Run the HTTP server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    from billing.server import run

    run(host, port, workers)


def _create_app() -> Flask:
    from billing import create_app

    # Every command loads the app (FlaskGroup finds the commands on it), so every command, ``serve``
    # included, checks the settings before it does anything.
    return create_app(settings_mod.for_process())


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Autodebet iuran BPJS Ketenagakerjaan BPU / BPU contribution auto-debit."""
