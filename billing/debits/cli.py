"""``billing debit run``, ``billing worker``, ``billing scheduler``, ``billing ledger verify``,
``billing coverage evaluate``."""

import signal
import time
from datetime import date, datetime, timedelta
from types import FrameType

import click
from flask.cli import with_appcontext
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from billing import settings as settings_mod

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _context():  # type: ignore[no-untyped-def]
    from billing import db
    from schedulers.jobs import JobContext

    return JobContext(settings_mod.current(), db.engine())


def _day(value: datetime | None) -> date:
    return value.date() if value else settings_mod.today()


@click.group("debit", help="Penarikan otomatis / Auto-debit")
def debit() -> None:
    pass


@debit.command("run", help="Jalankan proses debit satu hari dengan progres / Run one day's debits")
@click.option("--date", "day", type=_DATE, default=None, help="YYYY-MM-DD (default: hari ini / today)")
@with_appcontext
def debit_run(day: datetime | None) -> None:
    from sqlmodel import Session

    from billing.debits.execution import DayClock
    from billing.debits.queries import run_detail
    from billing.debits.resolve import processed
    from billing.debits.service import gateway_for, run_debits, start_debit_run

    ctx = _context()
    today = _day(day)
    run_id = start_debit_run(ctx.engine, ctx.settings, today)
    with Session(ctx.engine) as s:
        planned = run_detail(s, run_id).planned
    clock = DayClock(today)
    columns = (TextColumn("[bold]debit {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(today.isoformat(), total=planned)
        run_debits(
            ctx.engine,
            ctx.settings,
            gateway_for(ctx.settings, clock),
            clock,
            today,
            on_batch=lambda counts: progress.advance(task, processed(counts)),
        )
    with Session(ctx.engine) as s:
        detail = run_detail(s, run_id)
    click.echo(f"run {run_id} {detail.status}: {detail.by_outcome} collected Rp {detail.amount_collected:,}")


@click.command("worker", help="Proses batch debit dari semua run / Work debit batches of every run")
@click.option("--poll", default=5.0, show_default=True, help="Detik menunggu saat kosong / Seconds to wait when idle")
@click.option("--once", is_flag=True, help="Berhenti saat tidak ada pekerjaan / Stop when there is no work")
@with_appcontext
def worker(poll: float, once: bool) -> None:
    from billing.debits.execution import DayClock, work
    from billing.debits.policy import from_settings
    from billing.debits.service import gateway_for, settle_unknown

    ctx = _context()
    clock = DayClock(settings_mod.today())
    gateway = gateway_for(ctx.settings, clock)
    stopping = False

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True  # finish the batch in hand, then leave

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    lease = timedelta(seconds=ctx.settings.lease_seconds)
    while not stopping:
        done = work(ctx.engine, gateway, from_settings(ctx.settings), lease, clock=clock)
        settled = settle_unknown(ctx.engine, ctx.settings, gateway, settings_mod.today())
        if once and not done and not sum(settled.values()):
            break
        if not done:
            time.sleep(poll)


@click.command("scheduler", help="Penjadwal APScheduler (proses sendiri) / The APScheduler process")
@with_appcontext
def scheduler() -> None:
    from schedulers.schedule import build_scheduler

    sched = build_scheduler(_context())

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        sched.shutdown(wait=True)

    signal.signal(signal.SIGTERM, _stop)
    for job in sched.get_jobs():
        click.echo(f"{job.id}: {job.trigger}")
    sched.start()


@click.group("ledger", help="Buku besar / Ledger")
def ledger() -> None:
    pass


@ledger.command(
    "verify", help="Buktikan buku besar, juga terhadap catatan gateway / Prove the books, also against the gateway"
)
@click.option(
    "--gateway/--no-gateway",
    "with_gateway",
    default=True,
    show_default=True,
    help="Bandingkan dengan catatan gateway / Compare with the gateway's own records",
)
@with_appcontext
def ledger_verify(with_gateway: bool) -> None:
    from billing import db
    from billing.gateways.registry import load_gateway
    from billing.ledger.verify import SHOWN, verify

    settings = settings_mod.current()
    gateway = load_gateway(settings.gateway) if with_gateway else None
    if gateway is not None and not getattr(gateway, "keeps_records", True):
        click.echo(
            f"{settings.gateway}: catatannya hanya di memori proses lain / its records live in another "
            "process's memory (set BILLING_SIMULATOR_STATE): not compared"
        )
        gateway = None
    with db.engine().connect() as conn:
        result = verify(conn, gateway)
    for account, balance in result.balances.items():
        click.echo(f"{account:<26} Rp {balance:>18,}")
    if result.gateway_checked:
        click.echo(f"compared with the records of gateway {result.gateway_checked}")
    for problem, ids in result.problems.items():
        shown = ", ".join(ids[:SHOWN]) + (" …" if len(ids) > SHOWN else "")
        click.echo(f"PROBLEM: {problem}: {len(ids)}: {shown}")
    if not result.ok:
        raise click.ClickException("ledger does not reconcile")
    click.echo("ledger OK")


@click.group("coverage", help="Status kepesertaan / Coverage status")
def coverage() -> None:
    pass


@coverage.command("evaluate", help="Terapkan aturan tunggakan / Apply the lapse rules")
@click.option("--date", "day", type=_DATE, default=None)
@with_appcontext
def coverage_evaluate(day: datetime | None) -> None:
    from schedulers.jobs import lapse_evaluation

    click.echo(lapse_evaluation(_context(), _day(day)))
