"""Builders for debit-engine tests: participants with mandates on chosen test payment methods, and a
loop that runs one simulated day exactly as the scheduler would."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, text

from billing.contributions.service import record_paid_through
from billing.db import unit_of_work
from billing.debits.execution import DayClock
from billing.debits.service import run_debits, settle_unknown
from billing.gateways.base import Gateway
from billing.gateways.registry import load_gateway
from billing.mandates import service as mandates
from billing.mandates.lifecycle import MandateAction
from billing.mandates.schemas import MandateCreate
from billing.participants import service as participants
from billing.participants.schemas import ParticipantCreate
from billing.settings import Settings
from billing.timeutil import utcnow
from schedulers import jobs
from tests.factories import participant_body


def enrol(
    engine: Engine,
    on: date,
    payment_method: str | None,
    debit_day: int = 5,
    gateway: str = "simulator",
    **overrides: object,
) -> int:
    with unit_of_work(engine) as s:
        p = participants.enrol(s, ParticipantCreate(**participant_body(**overrides)), on)
        assert p.id is not None
        if payment_method is not None:
            m = mandates.create(
                s,
                MandateCreate(
                    participant_id=p.id,
                    gateway=gateway,
                    payment_method=payment_method,
                    channel="bank",
                    display="BRI ••••1234",
                    debit_day=debit_day,
                    consent_source="api",
                ),
                "test",
                on,
            )
            assert m.id is not None
            mandates.transition(s, m.id, MandateAction.activate, None, "test", on)
        return p.id


def mark_paid_offline(engine: Engine, until: date) -> None:
    """Earlier months paid before the service ran (one history receipt, posted), so the participants
    start the scenario covered."""
    with unit_of_work(engine) as s:
        record_paid_through(s, until, f"AGEN-{until:%Y%m}")


@dataclass
class World:
    engine: Engine
    settings: Settings
    clock: DayClock
    gateway: Gateway

    @classmethod
    def create(cls, engine: Engine, settings: Settings, start: date, **gateway_options: object) -> "World":
        clock = DayClock(start)
        return cls(engine, settings, clock, load_gateway("simulator", clock=clock, **gateway_options))

    @property
    def ctx(self) -> jobs.JobContext:
        return jobs.JobContext(self.settings, self.engine)

    def day(self, today: date) -> None:
        """One day of the schedule: contributions, the debit run, settlement minutes later, lapses."""
        jobs.generate_contributions(self.ctx, today)
        run_debits(self.engine, self.settings, self.gateway, self.clock, today)
        settle_unknown(self.engine, self.settings, self.gateway, today, now=utcnow() + timedelta(hours=1))
        jobs.lapse_evaluation(self.ctx, today)

    def days(self, first: date, last: date) -> None:
        today = first
        while today <= last:
            self.day(today)
            today += timedelta(days=1)


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))
