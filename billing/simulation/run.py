"""Time travel: a simulated clock moves day by day; each day the scenario's world acts (people enrol,
sponsors pay or stop) and then every job of the schedule fires, in the order of its time of day, the
very functions the scheduler calls, with the bank simulator as the gateway. After each day the
sandbox clock records it, so a stopped simulation resumes on the next day (a day cut short is run
again: every job is safe to fire twice)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from billing.debits.execution import DayClock, expire_leases, work
from billing.debits.policy import from_settings as retry_policy
from billing.errors import Conflict, InvalidInput
from billing.gateways.base import Gateway
from billing.gateways.registry import load_gateway
from billing.participants.models import Participant
from billing.settings import Settings
from billing.simulation import clock, population
from billing.simulation.people import Person, everyone
from billing.simulation.scenario import Scenario
from billing.timeutil import utcnow
from schedulers import jobs
from schedulers.schedule import SCHEDULE, Job

# The scheduler fires the interval jobs every few minutes; a simulated day runs them after each timed
# job. Settlement looks this far past the real time: the minutes its retries wait have "passed".
SETTLE_AHEAD = timedelta(hours=1)


@dataclass(frozen=True)
class Step:
    job_id: str
    run: Callable[["Simulation", date], Any]


def _job_step(job: Job) -> Step:
    if job.id == "settle-unknown":
        return Step(job.id, lambda sim, day: job.func(sim.ctx, day, now=utcnow() + SETTLE_AHEAD))
    if job.id == "send-notices":
        return Step(job.id, lambda sim, day: job.func(sim.ctx))
    return Step(job.id, lambda sim, day: job.func(sim.ctx, day))


def _worker(sim: "Simulation", day: date) -> int:
    """What the ``billing worker`` processes do after the debit run is planned: charge it."""
    lease = timedelta(seconds=sim.settings.lease_seconds)
    return work(sim.engine, sim.gateway, retry_policy(sim.settings), lease, clock=sim.day_clock)


def day_plan() -> list[Step]:
    """Every scheduled job in one day's order: the timed jobs by their hour, each followed by the
    workers (after the debit run) and the jobs that run every few minutes."""
    timed = sorted(
        (j for j in SCHEDULE if j.trigger["type"] == "cron"),
        key=lambda j: (j.trigger.get("hour", 0), j.trigger.get("minute", 0)),
    )
    frequent = [_job_step(j) for j in SCHEDULE if j.trigger["type"] == "interval"]
    plan: list[Step] = []
    for job in timed:
        plan.append(_job_step(job))
        if job.id == "debit-run":
            plan.append(Step("worker", _worker))
        plan += frequent
    return plan


def analyze(engine: Engine) -> None:
    """Fresh planner statistics on PostgreSQL. Autovacuum keeps them fresh as a month of real time
    passes; a simulated month passes in seconds, and with the statistics of an empty table the planner
    picks nested loops that take seconds per query."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


@dataclass
class Simulation:
    engine: Engine
    settings: Settings
    scenario: Scenario
    seed: int
    gateway: Gateway
    day_clock: DayClock
    sponsor_of: dict[str, int] = field(default_factory=dict)
    enrolling: dict[date, list[Person]] = field(default_factory=dict)

    @property
    def ctx(self) -> jobs.JobContext:
        return jobs.JobContext(self.settings, self.engine, self.gateway)

    @classmethod
    def open(cls, engine: Engine, settings: Settings, scenario: Scenario, seed: int, **bank: Any) -> "Simulation":
        """The simulation of ``scenario`` in this database: set up on first use (refused when the
        database holds anything else), resumed afterwards."""
        found = clock.read(engine)
        if found is None:
            with Session(engine) as s:
                if s.exec(select(func.count()).select_from(Participant)).one():
                    raise Conflict(
                        "Basis data ini berisi data yang bukan simulasi. / "
                        "This database holds data that is not a simulation.",
                        code="not_a_simulation_database",
                    )
        elif (found.scenario, found.seed) != (scenario.name, seed):
            raise Conflict(
                f"Basis data ini berisi simulasi {found.scenario} (seed {found.seed}). / "
                f"This database holds the simulation {found.scenario} (seed {found.seed}).",
                code="other_simulation",
            )
        day_clock = DayClock(scenario.period.start)
        gateway = load_gateway("simulator", clock=day_clock, seed=seed, **bank)
        sim = cls(engine, settings, scenario, seed, gateway, day_clock)
        if found is None or found.today < scenario.history_end():
            sim._set_up()
        else:
            expire_leases(engine)  # batches a killed run of this simulation had claimed
        sim.sponsor_of = population.sponsor_ids(engine, scenario)
        for person in everyone(scenario, seed):
            if person.enrolled_on >= scenario.period.start:
                sim.enrolling.setdefault(person.enrolled_on, []).append(person)
        return sim

    def _set_up(self) -> None:
        """The world as it was before the first simulated day, with its payment history."""
        start, eve = self.scenario.period.start, self.scenario.history_end()
        clock.save(self.engine, self.scenario.name, self.seed, start, eve - timedelta(days=1))
        population.set_up_regions(self.engine, self.scenario)
        sponsor_of = population.sponsor_ids(self.engine, self.scenario)
        before = [p for p in everyone(self.scenario, self.seed) if p.enrolled_on < start]
        population.record_history(self.engine, self.scenario, before, sponsor_of, self.settings.arrears_months)
        analyze(self.engine)
        jobs.lapse_evaluation(self.ctx, eve)  # the history's paid months make everyone active
        clock.save(self.engine, self.scenario.name, self.seed, start, eve)

    def next_day(self) -> date:
        found = clock.read(self.engine)
        assert found is not None
        return found.today + timedelta(days=1)

    def day(self, today: date) -> None:
        self.day_clock.today = today
        if today.day == 1:
            analyze(self.engine)
        population.enrol(self.engine, self.enrolling.get(today, ()), self.sponsor_of)
        population.sponsors_act(self.engine, self.scenario, self.sponsor_of, today)
        for step in day_plan():
            step.run(self, today)
        clock.save(self.engine, self.scenario.name, self.seed, self.scenario.period.start, today)

    def run_until(
        self, last: date, on_day: Callable[[date], None] | None = None, stop: Callable[[], bool] = lambda: False
    ) -> date:
        """Simulate the days after the clock's through ``last``; ``stop()`` is asked between days.
        Returns the last simulated day."""
        today = self.next_day()
        if last < today - timedelta(days=1):
            raise InvalidInput(
                f"Simulasi sudah sampai {today - timedelta(days=1)}. / The simulation is already at "
                f"{today - timedelta(days=1)}.",
                code="clock_cannot_go_back",
            )
        while today <= last and not stop():
            self.day(today)
            if on_day is not None:
                on_day(today)
            today += timedelta(days=1)
        return today - timedelta(days=1)
