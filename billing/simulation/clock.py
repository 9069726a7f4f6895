"""Reading and moving the sandbox clock. Outside a sandbox the clock is the real date, always."""

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from billing.db import unit_of_work
from billing.errors import Forbidden
from billing.settings import Settings
from billing.simulation.models import SandboxClock
from billing.timeutil import today_local, utcnow

NOT_A_SANDBOX = (
    "Hanya untuk sandbox (BILLING_SANDBOX=true); jam produksi tidak bisa dimajukan. / "
    "Sandbox only (BILLING_SANDBOX=true); a production clock cannot be moved."
)


def require_sandbox(settings: Settings) -> None:
    if not settings.sandbox:
        raise Forbidden(NOT_A_SANDBOX, code="not_a_sandbox")


def read(engine: Engine) -> SandboxClock | None:
    with Session(engine) as s:
        return s.get(SandboxClock, 1)


def effective_today(settings: Settings, engine: Engine) -> date:
    if settings.sandbox and (clock := read(engine)) is not None:
        return clock.today
    return today_local(settings.timezone)


def save(engine: Engine, scenario: str, seed: int, started_on: date, today: date) -> None:
    """Record that every job of ``today`` has run (one row, replaced)."""
    with unit_of_work(engine) as s:
        clock = s.get(SandboxClock, 1) or SandboxClock(scenario=scenario, seed=seed, started_on=started_on, today=today)
        clock.today, clock.updated_at = today, utcnow()
        s.add(clock)
