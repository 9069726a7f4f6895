"""A debit day on the simulated bank, the world the settlement files are made from."""

from datetime import date

import pytest
from sqlalchemy import Engine

from billing.settings import Settings
from schedulers import jobs
from tests.debits.world import World, enrol, mark_paid_offline
from tests.reconciliation.files import RUN_DAY

APRIL, MAY_END = date(2024, 4, 1), date(2024, 5, 31)


@pytest.fixture
def june(engine, settings):  # type: ignore[no-untyped-def]
    return debit_day(engine, settings)


def debit_day(engine: Engine, settings: Settings) -> World:
    """Four workers debited on 5 June 2024: three charges succeed (one after a timeout), one fails."""
    for method in ("sim_ok", "sim_ok", "sim_timeout_then_ok", "sim_insufficient_funds"):
        enrol(engine, APRIL, method)
    world = World.create(engine, settings, APRIL)
    jobs.generate_contributions(world.ctx, APRIL)
    mark_paid_offline(engine, until=date(2024, 5, 1))
    jobs.lapse_evaluation(world.ctx, MAY_END)
    world.day(RUN_DAY)  # June's months are generated with it; the debit day is the 5th
    return world
