"""Workers: claim a batch with a lease, charge its pending attempts, resolve them, repeat.

Any number of ``billing worker`` processes on any hosts share a run: a batch is claimed with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and a lease; a batch whose worker died is claimed again
once its lease expires, and its still-pending attempts are replayed with their SAME keys, so the
gateway answers with the first outcome instead of charging again."""

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, text

from billing.debits import runs
from billing.debits.policy import RetryPolicy
from billing.debits.resolve import ATTEMPT_COLUMNS, AttemptRow, resolve
from billing.gateways.base import ChargeRequest, Gateway
from billing.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    run_id: int
    first_attempt_id: int
    last_attempt_id: int
    run_date: date


class DayClock:
    """The gateway's notion of today: a batch of a past or simulated day's run sets it to that day."""

    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_CLAIM = """
UPDATE debit_batch SET status = 'claimed', lease_owner = :owner, lease_expires_at = :until, claims = claims + 1
WHERE id = (
    SELECT b.id FROM debit_batch b
    WHERE b.status = 'queued' OR (b.status = 'claimed' AND b.lease_expires_at < :now)
    ORDER BY b.id LIMIT 1 {lock})
RETURNING id, run_id, first_attempt_id, last_attempt_id
"""


def claim(engine: Engine, owner: str, lease: timedelta) -> Batch | None:
    now = utcnow()
    lock = "FOR UPDATE SKIP LOCKED" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as conn:
        row = conn.execute(text(_CLAIM.format(lock=lock)), {"owner": owner, "until": now + lease, "now": now}).first()
        if row is None:
            return None
        run_date = conn.execute(text("SELECT run_date FROM job_run WHERE id = :r"), {"r": row.run_id}).scalar_one()
    if not isinstance(run_date, date):
        run_date = date.fromisoformat(run_date)
    return Batch(row.id, row.run_id, row.first_attempt_id, row.last_attempt_id, run_date)


def expire_leases(engine: Engine) -> int:
    """Make every claimed batch claimable at once. Only for a process that knows their owners are gone:
    a resumed simulation, the only worker of its sandbox, after the run it resumes was killed."""
    with engine.begin() as conn:
        result = conn.execute(
            text("UPDATE debit_batch SET lease_expires_at = :past WHERE status = 'claimed'"),
            {"past": utcnow() - timedelta(seconds=1)},
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


_LOAD = f"""
SELECT {ATTEMPT_COLUMNS} FROM debit_attempt a
WHERE a.id BETWEEN :lo AND :hi AND a.run_id = :run AND a.status = 'pending'
ORDER BY a.id
"""


def load_attempts(engine: Engine, sql: str, params: dict[str, object]) -> list[AttemptRow]:
    """``sql`` selects ``ATTEMPT_COLUMNS``. Read through the driver's own cursor: at thousands of rows
    a batch, SQLAlchemy's result rows cost twice what the query does."""
    with engine.connect() as conn:
        result = conn.execute(text(sql), params)
        try:
            return list(map(AttemptRow._make, result.cursor.fetchall()))
        finally:
            result.close()


def charge_requests(attempts: list[AttemptRow]) -> list[ChargeRequest]:
    return [
        ChargeRequest(
            amount=a.amount,
            payment_method=a.payment_method,
            idempotency_key=a.idempotency_key,
            metadata={"contribution_id": str(a.contribution_id), "attempt_id": str(a.id)},
        )
        for a in attempts
    ]


def process(engine: Engine, gateway: Gateway, batch: Batch, policy: RetryPolicy, owner: str) -> dict[str, int]:
    attempts = load_attempts(
        engine, _LOAD, {"run": batch.run_id, "lo": batch.first_attempt_id, "hi": batch.last_attempt_id}
    )
    results = gateway.charge_many(charge_requests(attempts))
    with engine.begin() as conn:
        counts = resolve(conn, attempts, results, batch.run_date, policy)
        conn.execute(
            text("UPDATE debit_batch SET status = 'done', finished_at = :now WHERE id = :b AND lease_owner = :o"),
            {"b": batch.id, "o": owner, "now": utcnow()},
        )
        runs.complete_if_done(conn, batch.run_id)
    return counts


def work(
    engine: Engine,
    gateway: Gateway,
    policy: RetryPolicy,
    lease: timedelta,
    clock: DayClock | None = None,
    owner: str | None = None,
    on_batch: Callable[[dict[str, int]], None] | None = None,
    planning: Callable[[], bool] = lambda: False,
) -> int:
    """Claim and process batches until none is left (and ``planning()`` says no more are coming);
    returns the number of attempts processed."""
    owner = owner or worker_name()
    done = 0
    while True:
        batch = claim(engine, owner, lease)
        if batch is None:
            if not planning():
                return done
            time.sleep(0.02)
            continue
        if clock is not None:
            clock.today = batch.run_date
        counts = process(engine, gateway, batch, policy, owner)
        done += sum(counts.values())
        if on_batch:
            on_batch(counts)
