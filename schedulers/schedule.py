"""Every schedule in one list, with explicit job ids; times are Asia/Jakarta (the settings' timezone).
A test checks this list."""

from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from schedulers import jobs


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
        {"type": "cron", "hour": 0, "minute": 45},
        "Iuran lunas tanpa diskon PP 50/2025 jadi saldo / Full-price months in a discount window become credit",
    ),
    Job(
        "debit-run",
        jobs.debit_run,
        {"type": "cron", "hour": 6, "minute": 0},
        "Rencanakan penarikan hari ini dan percobaan ulang / Plan today's debits and retries",
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


def build_scheduler(ctx: jobs.JobContext) -> BlockingScheduler:
    tz = ctx.settings.timezone
    scheduler = BlockingScheduler(timezone=tz)
    for job in SCHEDULE:
        scheduler.add_job(
            job.func,
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
