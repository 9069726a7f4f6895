"""Every schedule in one list, with explicit job ids; times are Asia/Jakarta (the settings' timezone).
A test checks this list."""

import time
from dataclasses import dataclass
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from billing.metrics import JOBS
from schedulers import jobs

log = structlog.get_logger("billing.scheduler")


@dataclass(frozen=True)
class Job:
    id: str
    func: Any
    trigger: dict[str, Any]  # CronTrigger or IntervalTrigger fields
    description: str

    def build_trigger(self, timezone: str) -> BaseTrigger:
        fields = dict(self.trigger)
        if fields.pop("type") == "interval":
            return IntervalTrigger(timezone=timezone, **fields)
        return CronTrigger(timezone=timezone, **fields)


SCHEDULE: tuple[Job, ...] = (
    Job(
        "generate-contributions",
        jobs.generate_contributions,
        {"type": "cron", "hour": 0, "minute": 30},
        "Buat iuran bulan ini dan bulan depan / Create this and next month's contributions",
    ),
    Job(
        "discount-credit",
        jobs.discount_credit,
        {"type": "cron", "hour": 0, "minute": 40},
        "Iuran lunas tanpa diskon PP 50/2025 jadi saldo / Full-price months in a discount window become credit",
    ),
    Job(
        "sponsor-invoices",
        jobs.sponsor_invoices,
        {"type": "cron", "hour": 0, "minute": 45},
        "Buat tagihan sponsor bulan ini / Create this month's sponsor invoices",
    ),
    Job(
        "debit-run",
        jobs.debit_run,
        {"type": "cron", "hour": 6, "minute": 0},
        "Rencanakan penarikan hari ini dan percobaan ulang / Plan today's debits and retries",
    ),
    Job(
        "sponsor-charges",
        jobs.sponsor_charges_run,
        {"type": "cron", "hour": 6, "minute": 15},
        "Tarik tagihan sponsor lewat mandatnya / Charge sponsor invoices through their mandates",
    ),
    Job(
        "lapse-evaluation",
        jobs.lapse_evaluation,
        {"type": "cron", "hour": 23, "minute": 0},
        "Terapkan aturan tunggakan dan berakhir / Apply arrears and lapse rules",
    ),
    Job(
        "settle-unknown",
        jobs.settle_unknown_outcomes,
        {"type": "interval", "minutes": 5},
        "Selesaikan hasil penarikan yang belum pasti / Settle unknown debit outcomes",
    ),
    Job(
        "send-notices",
        jobs.send_notices,
        {"type": "interval", "minutes": 1},
        "Kirim pemberitahuan ke peserta / Send notices to workers",
    ),
    Job(
        "report-snapshots",
        jobs.report_snapshots,
        {"type": "cron", "hour": 23, "minute": 30},
        "Perbarui data laporan bulan ini dan lalu / Refresh this and last month's report figures",
    ),
)


def observed(job: Job) -> Any:
    """The job's function, counted (``billing_jobs``) and logged with its duration."""

    def run(ctx: jobs.JobContext) -> Any:
        started = time.perf_counter()
        try:
            result = job.func(ctx)
        except Exception:
            JOBS.labels(job.id, "failed").inc()
            log.exception("job_failed", job=job.id)
            raise
        JOBS.labels(job.id, "ok").inc()
        log.info("job_done", job=job.id, seconds=round(time.perf_counter() - started, 3))
        return result

    return run


def build_scheduler(ctx: jobs.JobContext) -> BackgroundScheduler:
    """In a thread of its own: the process's main thread watches that it is still the active one."""
    tz = ctx.settings.timezone
    scheduler = BackgroundScheduler(timezone=tz)
    for job in SCHEDULE:
        scheduler.add_job(
            observed(job),
            trigger=job.build_trigger(tz),
            args=[ctx],
            id=job.id,
            name=job.description,
            coalesce=True,  # a scheduler that was down fires a missed job once, not once per miss
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
    return scheduler
