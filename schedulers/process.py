"""The ``billing scheduler`` process: wait to become the active scheduler, catch up on today's jobs
whose time has passed (a scheduler started at 07:00 still runs the 06:00 debit run; every job is safe
to run twice in a day), then schedule until stopped or until the lock is lost, and wait again."""

import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.exc import DBAPIError

from billing.metrics import SCHEDULER_ACTIVE
from schedulers import jobs
from schedulers.leadership import Leadership
from schedulers.schedule import SCHEDULE, Job, build_scheduler, observed

log = structlog.get_logger("billing.scheduler")


def missed_today(now: datetime, timezone: str) -> list[Job]:
    """The daily jobs whose time today (in ``timezone``) is at or before ``now``, in time order."""
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    due: list[tuple[datetime, Job]] = []
    for job in SCHEDULE:
        if job.trigger["type"] != "cron":
            continue  # interval jobs run within minutes of the start anyway
        first = job.build_trigger(timezone).get_next_fire_time(None, midnight)
        if first is not None and first <= local:
            due.append((first, job))
    return [job for _, job in sorted(due, key=lambda d: d[0])]


def catch_up(ctx: jobs.JobContext, now: datetime) -> list[str]:
    """Run today's missed daily jobs; one that fails is logged and the others still run."""
    ran = []
    for job in missed_today(now, ctx.settings.timezone):
        log.info("job_catch_up", job=job.id)
        try:
            observed(job)(ctx)
        except Exception:  # logged and counted by ``observed``
            continue
        ran.append(job.id)
    return ran


def run(
    ctx: jobs.JobContext,
    leadership: Leadership,
    stop: threading.Event,
    standby_seconds: float,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
) -> None:
    """Until ``stop`` is set: lead when the lock can be had, stand by otherwise."""
    while not stop.is_set():
        try:
            leading = leadership.acquire()
        except DBAPIError as exc:
            log.warning("scheduler_database_unavailable", error=type(exc).__name__)
            leading = False
        if not leading:
            stop.wait(standby_seconds)
            continue
        log.info("scheduler_active")
        SCHEDULER_ACTIVE.set(1)
        try:
            catch_up(ctx, now())
            scheduler = build_scheduler(ctx)
            scheduler.start()
            try:
                while not stop.wait(standby_seconds):
                    if not leadership.held():
                        log.warning("scheduler_lost_lock")
                        break
            finally:
                # A job in hand finishes (each is safe to run again), then the jobs stop.
                scheduler.shutdown(wait=True)
        finally:
            SCHEDULER_ACTIVE.set(0)
            leadership.release()
        log.info("scheduler_standby" if not stop.is_set() else "scheduler_stopped")
