"""Fixtures of the casework tests: staff tokens and a failed debit to work on (``world``)."""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from billing.debits.execution import work
from billing.debits.policy import from_settings as retry_policy
from billing.debits.service import start_debit_run
from schedulers import jobs
from tests.casework.world import DAY, Case
from tests.debits.world import World, enrol, rows
from tests.factories import auth, token


@pytest.fixture
def staff(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {role: auth(token(app, role.split("-")[0])) for role in ("admin", "finance", "finance-2", "manager")}


@pytest.fixture
def make_case(engine, settings, monkeypatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    def make(method: str, stage: str = "day", debit_day: int = 5) -> Case:
        """``stage``: ``generated`` (the month only), ``planned`` (the 06:00 run planned, nothing sent),
        ``sent`` (a worker sent it; nothing settled), ``day`` (the whole day of jobs). One per test: the
        day's jobs run once a date."""
        pid = enrol(engine, date(2024, 6, 1), method, debit_day=debit_day)
        world = World.create(engine, settings, DAY)
        case = Case(world, pid, 0, 0, method)
        case.on(DAY, monkeypatch)
        for module in ("billing.casework.sending", "billing.web.case_pages"):
            monkeypatch.setattr(f"{module}.app_gateway", lambda name: world.gateway)
        if stage == "day":
            world.day(DAY)
        else:
            jobs.generate_contributions(world.ctx, DAY)
        if stage in ("planned", "sent"):
            start_debit_run(engine, settings, DAY)
        if stage == "sent":
            lease = timedelta(seconds=settings.lease_seconds)
            work(engine, world.gateway, retry_policy(settings), lease, clock=world.clock)
        [(cid,)] = rows(
            engine, "SELECT id FROM contribution WHERE participant_id = :p AND period = :m", p=pid, m=DAY.replace(day=1)
        )
        [(mid,)] = rows(engine, "SELECT id FROM mandate WHERE participant_id = :p", p=pid)
        case.contribution_id, case.mandate_id = cid, mid
        return case

    yield make
