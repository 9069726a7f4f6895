"""``billing debit run``, ``billing worker``, ``billing scheduler``, ``billing ledger verify``,
``billing coverage evaluate``."""

import signal
from datetime import date, datetime
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


_METRICS_PORT = click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port /metrics proses ini (bawaan: BILLING_METRICS_PORT) / This process's /metrics port",
)


def _serve_metrics(ctx, port: int | None) -> None:  # type: ignore[no-untyped-def]
    from billing import metrics

    port = port or ctx.settings.metrics_port
    if port:
        metrics.serve(port, ctx.settings.metrics_address, ctx.engine)
        click.echo(f"metrics: http://{ctx.settings.metrics_address}:{port}/metrics")


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
@_METRICS_PORT
@with_appcontext
def worker(poll: float, once: bool, metrics_port: int | None) -> None:
    import threading

    from billing.debits import worker as worker_loop
    from billing.debits.execution import DayClock
    from billing.debits.service import gateway_for

    ctx = _context()
    clock = DayClock(settings_mod.today())
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()  # finish the batch in hand, then leave

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _serve_metrics(ctx, metrics_port)
    gateway = gateway_for(ctx.settings, clock)
    worker_loop.run(ctx.engine, ctx.settings, gateway, clock, settings_mod.today, stop, poll, once)


@click.command("scheduler", help="Penjadwal APScheduler (proses sendiri) / The APScheduler process")
@_METRICS_PORT
@with_appcontext
def scheduler(metrics_port: int | None) -> None:
    """Any number may run: one is active, the others stand by (``schedulers.leadership``)."""
    import threading

    from schedulers import leadership, process
    from schedulers.schedule import SCHEDULE

    ctx = _context()
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _serve_metrics(ctx, metrics_port)
    for job in SCHEDULE:
        click.echo(f"{job.id}: {job.build_trigger(ctx.settings.timezone)}")
    process.run(ctx, leadership.for_engine(ctx.engine), stop, ctx.settings.scheduler_standby_seconds)


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
