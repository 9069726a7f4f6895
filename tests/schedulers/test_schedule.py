from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from billing.settings import Settings
from schedulers import jobs
from schedulers.schedule import SCHEDULE, build_scheduler


def test_the_schedule_list() -> None:
    assert [(j.id, j.func) for j in SCHEDULE] == [
        ("generate-contributions", jobs.generate_contributions),
        ("discount-credit", jobs.discount_credit),
        ("sponsor-invoices", jobs.sponsor_invoices),
        ("debit-run", jobs.debit_run),
        ("sponsor-charges", jobs.sponsor_charges_run),
        ("lapse-evaluation", jobs.lapse_evaluation),
        ("settle-unknown", jobs.settle_unknown_outcomes),
        ("send-notices", jobs.send_notices),
        ("report-snapshots", jobs.report_snapshots),
    ]


def test_scheduler_registers_every_job_in_jakarta_time() -> None:
    ctx = jobs.JobContext.from_settings(Settings(database_url="sqlite://"))
    scheduler = build_scheduler(ctx)
    registered = {j.id: j for j in scheduler.get_jobs()}
    assert set(registered) == {j.id for j in SCHEDULE}
    debit = registered["debit-run"].trigger
    assert isinstance(debit, CronTrigger)
    assert str(debit.timezone) == "Asia/Jakarta"
    assert str(debit.fields[5]) == "6"  # hour
    assert isinstance(registered["settle-unknown"].trigger, IntervalTrigger)
    assert registered["settle-unknown"].trigger.interval.total_seconds() == 300
    assert isinstance(registered["send-notices"].trigger, IntervalTrigger)
    assert registered["send-notices"].trigger.interval.total_seconds() == 60
    # After the lapse evaluation (23:00), so the night's coverage events are in the snapshot.
    snapshots = registered["report-snapshots"].trigger
    assert isinstance(snapshots, CronTrigger)
    assert (str(snapshots.fields[5]), str(snapshots.fields[6])) == ("23", "30")
    # After generation (00:30) and after the workers' debit run (06:00).
    invoicing, charging = registered["sponsor-invoices"].trigger, registered["sponsor-charges"].trigger
    assert isinstance(invoicing, CronTrigger) and isinstance(charging, CronTrigger)
    assert (str(invoicing.fields[5]), str(invoicing.fields[6])) == ("0", "45")
    assert (str(charging.fields[5]), str(charging.fields[6])) == ("6", "15")
    for job in registered.values():
        assert job.coalesce and job.max_instances == 1
        assert job.args == (ctx,)
