"""Perisai agents and their workers for the agents' tests: a worker enrolled in March 2026 with March to
June generated, so on 4 May 2026 March (Rp 16,800) and April (Rp 8,400, PP 50/2025) are arrears."""

from datetime import date

from sqlalchemy import Engine, text
from sqlmodel import Session

from billing.agents import collections
from billing.agents.models import AgentCollection, AgentEnrolment
from billing.auth.models import ApiUser, Role
from billing.auth.service import create_user
from billing.db import unit_of_work
from billing.settings import Settings
from schedulers import jobs
from tests.debits.world import enrol

DAY = date(2026, 5, 4)
ENROLLED = date(2026, 3, 2)
NONCE = "form-nonce-000000001"
PASSWORD = "kata-sandi-agen-panjang"


def agent(engine: Engine, username: str, name: str = "Agen Budi") -> ApiUser:
    with unit_of_work(engine) as s:
        user, _ = create_user(s, role=Role.agent, name=name, username=username, password=PASSWORD, token=False)
    return user


def worker_of(engine: Engine, settings: Settings, agent_id: int, method: str | None = None, **body: object) -> int:
    """A participant the agent enrolled in March, with March to June generated."""
    pid = enrol(engine, ENROLLED, method, debit_day=10, **body)
    with unit_of_work(engine) as s:
        s.add(AgentEnrolment(participant_id=pid, agent_id=agent_id))
    ctx = jobs.JobContext(settings, engine)
    for day in (ENROLLED, date(2026, 4, 1), date(2026, 5, 1)):
        jobs.generate_contributions(ctx, day)
    return pid


def collect(
    engine: Engine, settings: Settings, who: ApiUser, pid: int, months: int, nonce: str = NONCE
) -> AgentCollection:
    with unit_of_work(engine) as s:
        return collections.collect(s, who, collections.CollectAsk(pid, months, nonce), settings, DAY)


def rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with Session(engine) as s:
        return [tuple(r) for r in s.connection().execute(text(sql), params).all()]
