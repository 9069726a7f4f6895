"""What each scheduled job does, as a function of "today" (a parameter, so tests, the CLI and the
time-travel simulation call the very same functions). Each is safe to fire twice."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from billing.contributions.generation import generate
from billing.coverage.evaluation import evaluate
from billing.db import make_engine, unit_of_work
from billing.debits import runs
from billing.debits.execution import DayClock
from billing.debits.models import RunKind
from billing.debits.policy import from_settings as retry_policy
from billing.debits.service import gateway_for, settle_unknown, start_debit_run
from billing.gateways.base import Gateway
from billing.gateways.snap.notify import event as snap_notify_event
from billing.gateways.stripe.intents import webhook_event
from billing.notices.service import queue_upcoming, send_due
from billing.payments import credit, refunds
from billing.payments.discount_credit import grant as grant_discount_credit
from billing.reports.snapshot import refresh as refresh_reports
from billing.settings import Settings
from billing.simulation.clock import effective_today
from billing.sponsors import charges as sponsor_charges
from billing.sponsors.invoices import create_for_period
from billing.timeutil import add_months
from billing.webhooks.service import retry_pending


@dataclass
class JobContext:
    settings: Settings
    engine: Engine
    # The simulation passes its bank, which keeps what was charged; otherwise one is loaded per job.
    gateway: Gateway | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "JobContext":
        return cls(settings, make_engine(settings.database_url))

    def today(self, today: date | None) -> date:
        return today or effective_today(self.settings, self.engine)

    def gateway_on(self, day: date) -> Gateway:
        return self.gateway or gateway_for(self.settings, DayClock(day))


def generate_contributions(ctx: JobContext, today: date | None = None) -> int:
    """This month's and next month's contributions (next month's early, so workers can prepay)."""
    day = ctx.today(today)
    run_id = runs.start(ctx.engine, RunKind.generate, day)
    if not runs.claim_start(ctx.engine, run_id):
        return 0
    created = 0
    with unit_of_work(ctx.engine) as session:
        for period in (day.replace(day=1), add_months(day, 1)):
            created += generate(session, period)
        # Credit pays the new months before any debit is planned for them.
        credit.apply_all(session.connection(), day)
    runs.finish(ctx.engine, run_id, created)
    return created


def sponsor_invoices(ctx: JobContext, today: date | None = None) -> int:
    """This month's sponsor invoices, from the contributions generated before (idempotent)."""
    day = ctx.today(today)
    with unit_of_work(ctx.engine) as session:
        return create_for_period(session, day)


def sponsor_charges_run(ctx: JobContext, today: date | None = None) -> dict[str, int]:
    """Charge the open sponsor invoices whose debit day has come, and retries due, by their mandates."""
    day = ctx.today(today)
    return sponsor_charges.collect(ctx.engine, ctx.gateway_on(day), retry_policy(ctx.settings), day)


def discount_credit(ctx: JobContext, today: date | None = None) -> int:
    """PP 50/2025: months paid or priced at full price inside a discount window, priced down; the
    excess paid becomes credit. Returns how many months were priced down."""
    with unit_of_work(ctx.engine) as session:
        return grant_discount_credit(session, ctx.today(today)).months


def debit_run(ctx: JobContext, today: date | None = None) -> int:
    day = ctx.today(today)
    run_id = start_debit_run(ctx.engine, ctx.settings, day)
    queue_upcoming(ctx.engine, day, ctx.settings.notice_days_before_debit)
    return run_id


def lapse_evaluation(ctx: JobContext, today: date | None = None) -> dict[str, int]:
    day = ctx.today(today)
    run_id = runs.start(ctx.engine, RunKind.lapse, day)
    if not runs.claim_start(ctx.engine, run_id):
        return {}
    changes = evaluate(ctx.engine, day, ctx.settings.arrears_months)
    runs.finish(ctx.engine, run_id, sum(changes.values()))
    return changes


def settle_unknown_outcomes(ctx: JobContext, today: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """Unknown debit outcomes, refunds the gateway has not answered, and gateway events that named a
    charge not known yet. ``now`` (default: the real time) decides which unknown outcomes are due; the
    simulation, which runs a day's minutes at once, passes a later one."""
    day = ctx.today(today)
    gateway = ctx.gateway_on(day)
    counts = settle_unknown(ctx.engine, ctx.settings, gateway, day, now)
    sponsors = sponsor_charges.collect(ctx.engine, gateway, retry_policy(ctx.settings), day, now, plan_new=False)
    counts["sponsor_charges"] = sum(sponsors.values())
    with unit_of_work(ctx.engine) as session:
        for refund in refunds.pending(session):
            if refund.gateway == gateway.name:
                refunds.execute(session, gateway, refund, day)
        parse = {"stripe": webhook_event, "snap": snap_notify_event}.get(gateway.name)
        if parse is not None:
            policy = retry_policy(ctx.settings)
            counts["events"] = retry_pending(session, gateway.name, gateway, parse, day, policy)
    return counts


def send_notices(ctx: JobContext) -> int:
    """Deliver the outbox (not a function of "today": a notice is due as soon as it is written)."""
    return send_due(ctx.engine, ctx.settings)


def report_snapshots(ctx: JobContext, today: date | None = None) -> list[date]:
    """Rebuild the report snapshot of this month and the last (late retries still change the last)."""
    day = ctx.today(today)
    return refresh_reports(ctx.engine, add_months(day, -1), day, day)
