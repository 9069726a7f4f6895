"""The ``billing worker`` loop: work batches, settle unknown outcomes, wait when idle. It outlives the
database: an error reaching it is logged and retried with backoff (the batch in hand is taken back
by this worker, or by another after its lease). A stop request finishes the batch in hand, then ends."""

import threading
from collections.abc import Callable
from datetime import date, timedelta

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from billing.debits.execution import DayClock, work
from billing.debits.policy import from_settings as retry_policy
from billing.debits.service import settle_unknown
from billing.gateways.base import Gateway
from billing.settings import Settings

log = structlog.get_logger("billing.worker")

FIRST_BACKOFF, LONGEST_BACKOFF = 1.0, 30.0


def run(
    engine: Engine,
    settings: Settings,
    gateway: Gateway,
    clock: DayClock,
    today: Callable[[], date],
    stop: threading.Event,
    poll: float,
    once: bool = False,
) -> int:
    """Returns the number of attempts processed before ``stop`` (or, with ``once``, before idling)."""
    policy = retry_policy(settings)
    lease = timedelta(seconds=settings.lease_seconds)
    backoff = FIRST_BACKOFF
    total = 0
    log.info("worker_started", gateway=gateway.name)
    while not stop.is_set():
        try:
            done = work(engine, gateway, policy, lease, clock=clock, stopping=stop.is_set)
            settled = settle_unknown(engine, settings, gateway, today()) if not stop.is_set() else {}
        except DBAPIError as exc:
            log.warning("database_unavailable", error=type(exc).__name__, retry_in_s=backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, LONGEST_BACKOFF)
            continue
        if backoff > FIRST_BACKOFF:
            log.info("database_back")
            backoff = FIRST_BACKOFF
        total += done
        if once and not done and not sum(settled.values()):
            break
        if not done:
            stop.wait(poll)
    log.info("worker_stopped", processed=total)
    return total
