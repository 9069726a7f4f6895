"""A simulated day runs every job of the schedule, in the order of its time of day."""

from billing.simulation.run import day_plan
from schedulers.schedule import SCHEDULE


def test_a_day_runs_every_scheduled_job_in_time_order() -> None:
    plan = [step.job_id for step in day_plan()]
    assert {job.id for job in SCHEDULE} <= set(plan)
    timed = [job_id for job_id in plan if job_id not in ("settle-unknown", "send-notices", "worker")]
    assert timed == [
        "generate-contributions",
        "discount-credit",
        "sponsor-invoices",
        "debit-run",
        "sponsor-charges",
        "lapse-evaluation",
        "report-snapshots",
    ]
    assert plan.index("worker") == plan.index("debit-run") + 1
    # The every-few-minutes jobs run after each timed job, so the debit run's unknowns are settled.
    assert plan[plan.index("worker") + 1 : plan.index("worker") + 3] == ["settle-unknown", "send-notices"]
