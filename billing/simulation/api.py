"""``/api/v1/sandbox/clock``: read and advance the simulated clock of a sandbox deployment, like
Stripe's test clocks. Outside a sandbox every call is refused with 403 ``not_a_sandbox``."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import Engine, text

from billing import db
from billing.auth.guard import roles
from billing.auth.models import Role
from billing.errors import Conflict
from billing.settings import current
from billing.simulation import clock
from billing.simulation.models import SandboxClock
from billing.simulation.run import Simulation
from billing.simulation.scenario import load
from billing.simulation.schemas import ClockAdvance, ClockOut

tag = Tag(name="sandbox", description="Jam simulasi sandbox / The sandbox's simulated clock")
bp = APIBlueprint("sandbox", __name__, url_prefix="/api/v1/sandbox", abp_tags=[tag])

_LOCK_KEY = 0x51_4D_43_4C  # PostgreSQL advisory lock: one advance at a time across processes
_local = threading.Lock()


def _current() -> SandboxClock:
    found = clock.read(db.engine())
    if found is None:
        raise Conflict(
            "Belum ada simulasi; jalankan `billing simulate` dulu. / No simulation yet; run `billing simulate` first.",
            code="no_simulation",
        )
    return found


def _out(c: SandboxClock) -> ClockOut:
    return ClockOut(scenario=c.scenario, seed=c.seed, started_on=c.started_on, today=c.today)


@contextmanager
def _advancing(engine: Engine) -> Iterator[None]:
    busy = Conflict("Jam sedang dimajukan. / The clock is already advancing.", code="clock_busy")
    if not _local.acquire(blocking=False):
        raise busy
    try:
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as conn:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY}).scalar_one():
                raise busy
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()
    finally:
        _local.release()


@bp.get("/clock", responses={200: ClockOut, 409: None})  # 409: no simulation yet
@roles(Role.admin)
def get_clock():  # type: ignore[no-untyped-def]
    """Hari ini menurut jam simulasi / The simulated today"""
    clock.require_sandbox(current())
    return _out(_current()).model_dump(mode="json")


@bp.post("/clock/advance", responses={200: ClockOut})
@roles(Role.admin)
def advance_clock(body: ClockAdvance):  # type: ignore[no-untyped-def]
    """Majukan jam; tiap hari menjalankan semua tugas terjadwal / Advance the clock; each day runs every job"""
    settings = current()
    clock.require_sandbox(settings)
    now = _current()
    target = body.to or now.today + timedelta(days=body.days or 1)
    body.check_target(now.today, target)
    engine = db.engine()
    with _advancing(engine):
        scenario = load(now.scenario)
        Simulation.open(engine, settings, scenario, now.seed).run_until(target)
    return _out(_current()).model_dump(mode="json")
