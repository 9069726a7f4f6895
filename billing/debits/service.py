"""The debit jobs as functions of "today": what the scheduler fires, what ``billing debit run`` and
the simulation call. Each is safe to run twice for the same day."""

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from billing.debits import planning, runs
from billing.debits.execution import DayClock, work, worker_name
from billing.debits.models import RunKind
from billing.debits.policy import from_settings as retry_policy
from billing.debits.settlement import settle
from billing.gateways.base import Gateway
from billing.gateways.registry import load_gateway
from billing.payments import credit
from billing.settings import Settings


def gateway_for(settings: Settings, clock: DayClock) -> Gateway:
    return load_gateway(settings.gateway, clock=clock)


def apply_credit(engine: Engine, today: date) -> int:
    """Participants' credit pays their oldest due months before any debit is planned for them."""
    with engine.begin() as conn:
        return credit.apply_all(conn, today)


def start_debit_run(engine: Engine, settings: Settings, today: date) -> int:
    """Create (once) and plan (once) the day's debit run; workers do the charging."""
    run_id = runs.start(engine, RunKind.debit, today)
    apply_credit(engine, today)
    planning.plan(engine, run_id, today, settings.debit_batch_size)
    return run_id


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A run allocates millions of short-lived objects that form no reference cycles (rows, requests,
    results), which reference counting frees; the cycle collector would trace every live object again
    every few thousand allocations for nothing: a third of the run's Python time. It resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_cycle_collector_paused()
def run_debits(
    engine: Engine,
    settings: Settings,
    gateway: Gateway,
    clock: DayClock,
    today: date,
    on_batch: Callable[[dict[str, int]], None] | None = None,
    threads: int = 1,
) -> int:
    """Start, plan and work the day's run in this process (the CLI, the simulation, the benchmark).
    On PostgreSQL ``threads`` workers charge the first chunks while the planner writes the next ones;
    SQLite has one writer, so there the run is planned, then worked."""
    clock.today = today
    run_id = runs.start(engine, RunKind.debit, today)
    apply_credit(engine, today)
    lease = timedelta(seconds=settings.lease_seconds)
    policy = retry_policy(settings)
    if engine.dialect.name != "postgresql":
        planning.plan(engine, run_id, today, settings.debit_batch_size)
        work(engine, gateway, policy, lease, clock=clock, on_batch=on_batch)
        return run_id
    with ThreadPoolExecutor(max_workers=threads + 1) as pool:
        planner = pool.submit(planning.plan, engine, run_id, today, settings.debit_batch_size)
        workers = [
            pool.submit(
                work,
                engine,
                gateway,
                policy,
                lease,
                clock,
                f"{worker_name()}:{i}",
                on_batch,
                lambda: not planner.done(),
            )
            for i in range(threads)
        ]
        for future in (planner, *workers):
            future.result()  # re-raises a thread's error here
    return run_id


def settle_unknown(
    engine: Engine, settings: Settings, gateway: Gateway, today: date, now: datetime | None = None
) -> dict[str, int]:
    return settle(engine, gateway, retry_policy(settings), today, now)
