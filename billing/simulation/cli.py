"""``billing simulate`` (time travel on a sandbox database) and ``billing scenario list|schema``."""

import json
import logging
import signal
from datetime import date, datetime
from types import FrameType
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from billing import settings as settings_mod

if TYPE_CHECKING:
    from billing.simulation.scenario import Scenario

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command("simulate", help="Majukan jam simulasi hari demi hari / Move a simulated clock day by day")
@click.option("--scenario", "name", default="quickstart", show_default=True, help="Nama atau berkas / Name or file")
@click.option("--from", "first", type=_DATE, default=None, help="YYYY-MM-DD (default: awal skenario / its start)")
@click.option("--to", "last", type=_DATE, default=None, help="YYYY-MM-DD (default: akhir skenario / its end)")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Default: seed skenario / the scenario's")
@click.option(
    "--bank-state",
    envvar="BILLING_SIMULATOR_STATE",
    default=None,
    help="Berkas SQLite bank simulasi, dipakai bersama proses lain / The simulated bank's shared SQLite file",
)
@with_appcontext
def simulate(
    name: str, first: datetime | None, last: datetime | None, seed: int | None, bank_state: str | None
) -> None:
    run_simulation(name, first.date() if first else None, last.date() if last else None, seed, bank_state)


def run_simulation(
    name: str, first: date | None, last: date | None, seed: int | None, bank_state: str | None
) -> "Scenario":
    """Simulate ``name`` with a progress bar through ``last`` (default: its end), resuming after the
    clock; a ``ClickException`` says what is wrong. ``billing demo seed`` uses it too."""
    from billing import db
    from billing.errors import BillingError
    from billing.simulation import clock
    from billing.simulation.run import Simulation
    from billing.simulation.scenario import load

    settings = settings_mod.current()
    try:
        clock.require_sandbox(settings)
        scenario = load(name)
    except BillingError as exc:
        raise click.ClickException(exc.detail) from exc
    except KeyError as exc:
        raise click.ClickException(f"skenario tidak dikenal / unknown scenario: {name}") from exc
    except ValueError as exc:
        raise click.ClickException(f"skenario tidak valid / invalid scenario {name}: {exc}") from exc
    seed = scenario.seed if seed is None else seed
    end = last or scenario.period.end
    try:
        sim = Simulation.open(db.engine(), settings, scenario, seed, state_path=bank_state)
        _check_first(first, sim.next_day())
    except BillingError as exc:
        raise click.ClickException(exc.detail) from exc

    stopping = False

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True  # finish the day in hand; the next run resumes after it

    previous = signal.signal(signal.SIGTERM, _stop)
    # One line per notice would bury the progress bar; the notices stay in the outbox table.
    logging.getLogger("billing.notices").setLevel(logging.WARNING)
    start = sim.next_day()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns) as progress:
            task = progress.add_task(f"{scenario.name} {start}", total=max(0, (end - start).days + 1))

            def on_day(day: date) -> None:
                progress.update(task, advance=1, description=f"{scenario.name} {day}")

            reached = sim.run_until(end, on_day, stop=lambda: stopping)
    except BillingError as exc:
        raise click.ClickException(exc.detail) from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    verb = "berhenti di / stopped at" if reached < end else "sampai / through"
    click.echo(f"simulasi / simulation {scenario.name} (seed {seed}): {verb} {reached}")
    return scenario


def _check_first(first: date | None, next_day: date) -> None:
    if first is not None and first != next_day:
        raise click.ClickException(
            f"--from harus {next_day} (hari sesudah jam simulasi) / --from must be {next_day} (the day after the clock)"
        )


@click.group("scenario", help="Skenario simulasi / Simulation scenarios")
def scenario() -> None:
    pass


@scenario.command("list", help="Skenario bawaan / Shipped scenarios")
def scenario_list() -> None:
    from billing.simulation.scenario import load, shipped

    for name in shipped():
        s = load(name)
        click.echo(f"{name:<22} {s.period.start} … {s.period.end}  {s.title}")


@scenario.command("schema", help="JSON Schema berkas skenario / JSON Schema of a scenario file")
def scenario_schema() -> None:
    from billing.simulation.scenario import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2, ensure_ascii=False))
