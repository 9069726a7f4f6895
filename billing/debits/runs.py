"""A run is a row unique per (kind, date): firing a job twice, or from three schedulers at once,
creates it once. Whoever holds the run's lock plans it (a PostgreSQL advisory lock; SQLite
serialises writers by itself); planning is idempotent, so a planner killed midway is simply redone."""

from datetime import date

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from billing.debits.models import Run, RunKind, RunStatus
from billing.timeutil import utcnow

runs = Run.__table__  # type: ignore[attr-defined]


def start(engine: Engine, kind: RunKind, run_date: date) -> int:
    """The id of the (kind, date) run, creating it if it does not exist yet."""
    with engine.begin() as conn:
        return ensure(conn, kind, run_date)


def ensure(conn: Connection, kind: RunKind, run_date: date) -> int:
    """``start`` inside the caller's transaction."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(runs)
        .values(kind=kind, run_date=run_date, status=RunStatus.planning, planned=0, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["kind", "run_date"])
    )
    return conn.execute(select(runs.c.id).where(runs.c.kind == kind, runs.c.run_date == run_date)).scalar_one()


def try_lock(conn: Connection, run_id: int) -> bool:
    """Held until the transaction ends; False when another process holds it."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": 7_000_000_000 + run_id}).scalar())


def status_of(conn: Connection, run_id: int) -> RunStatus:
    return RunStatus(conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar_one())


def set_status(conn: Connection, run_id: int, status: RunStatus, planned: int | None = None) -> None:
    values: dict[str, object] = {"status": status}
    if planned is not None:
        values["planned"] = planned
    if status is RunStatus.completed:
        values["finished_at"] = utcnow()
    conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


def complete_if_done(conn: Connection, run_id: int) -> None:
    """A planned run whose batches are all done is completed (never one still being planned)."""
    conn.execute(
        text(
            "UPDATE job_run SET status = 'completed', finished_at = :now WHERE id = :r AND status = 'running' "
            "AND NOT EXISTS (SELECT 1 FROM debit_batch WHERE run_id = :r AND status <> 'done')"
        ),
        {"r": run_id, "now": utcnow()},
    )


def claim_start(engine: Engine, run_id: int) -> bool:
    """Move a run from planning to running; only one caller wins ("losers see 0 rows")."""
    with engine.begin() as conn:
        won = conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.status == RunStatus.planning)
            .values(status=RunStatus.running)
        ).rowcount
    return won == 1


def finish(engine: Engine, run_id: int, processed: int) -> None:
    with engine.begin() as conn:
        set_status(conn, run_id, RunStatus.completed, planned=processed)
