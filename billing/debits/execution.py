"""Workers: claim a batch with a lease, check and hand its attempts to the gateway, resolve them, repeat.

Any number of ``billing worker`` processes on any hosts share a run: a batch is claimed with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and a lease. Before anything is sent, one transaction checks
every attempt against what it was planned on (``guards``), cancels those that no longer hold, and
marks the batch sent. A batch whose worker died is claimed again once its lease expires: if it was
sent, the gateway is asked first about each still-pending attempt; what it never received is checked
again and sent with its SAME key, so the gateway answers with the first outcome, never charges twice."""

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from billing import metrics
from billing.debits import guards, runs
from billing.debits.policy import RetryPolicy
from billing.debits.resolve import ATTEMPT_COLUMNS, AttemptRow, processed, resolve
from billing.gateways.base import ChargeRequest, ChargeResult, ChargeStatus, Gateway
from billing.timeutil import utcnow

log = structlog.get_logger("billing.worker")


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    run_id: int
    first_attempt_id: int
    last_attempt_id: int
    run_date: date


@dataclass(frozen=True, slots=True)
class Taken:
    send: list[AttemptRow]  # checked now: send them
    ask_first: list[AttemptRow]  # maybe sent by a worker that died: ask the gateway before sending


class DayClock:
    """The gateway's notion of today: a batch of a past or simulated day's run sets it to that day."""

    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# A batch still claimed by this very worker when it asks for one was left by an error in its own hands
# (the database went away mid-batch): it is taken back at once instead of after its lease.
_CLAIM = """
UPDATE debit_batch SET status = 'claimed', lease_owner = :owner, lease_expires_at = :until, claims = claims + 1
WHERE id = (
    SELECT b.id FROM debit_batch b
    WHERE b.status = 'queued' OR (b.status = 'claimed' AND (b.lease_expires_at < :now OR b.lease_owner = :owner))
    ORDER BY b.id LIMIT 1 {lock})
RETURNING id, run_id, first_attempt_id, last_attempt_id, (SELECT run_date FROM job_run r WHERE r.id = run_id),
    sent_at
"""


def claim(engine: Engine, owner: str, lease: timedelta) -> Batch | None:
    with engine.begin() as conn:
        claimed = _claim(conn, owner, lease)
    return claimed[0] if claimed else None


def claim_and_take(engine: Engine, owner: str, lease: timedelta) -> tuple[Batch, Taken] | None:
    """Claim a batch and take it (``take``) in one transaction: the claim holds the batch's row, the
    lock a hand-off needs, and the two cost one commit instead of two."""
    with engine.begin() as conn:
        claimed = _claim(conn, owner, lease)
        if claimed is None:
            return None
        batch, sent_at = claimed
        return batch, _take(conn, batch, sent_at, batch.run_date)


def _claim(conn: Connection, owner: str, lease: timedelta) -> tuple[Batch, object] | None:
    """The batch claimed, and when it was sent (by a worker that died since: None when never)."""
    now = utcnow()
    lock = "FOR UPDATE SKIP LOCKED" if conn.dialect.name == "postgresql" else ""
    row = conn.execute(text(_CLAIM.format(lock=lock)), {"owner": owner, "until": now + lease, "now": now}).first()
    if row is None:
        return None
    run_date = row[4] if isinstance(row[4], date) else date.fromisoformat(row[4])
    return Batch(row.id, row.run_id, row.first_attempt_id, row.last_attempt_id, run_date), row.sent_at


def expire_leases(engine: Engine) -> int:
    """Make every claimed batch claimable at once. Only for a process that knows their owners are gone:
    a resumed simulation, the only worker of its sandbox, after the run it resumes was killed."""
    with engine.begin() as conn:
        result = conn.execute(
            text("UPDATE debit_batch SET lease_expires_at = :past WHERE status = 'claimed'"),
            {"past": utcnow() - timedelta(seconds=1)},
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


# A batch's pending attempts with the reason each must not be sent (NULL: it may be).
_GUARDED = f"""
SELECT {ATTEMPT_COLUMNS}, {guards.REASON} AS reason
FROM {guards.GUARDED_FROM}
WHERE a.id BETWEEN :lo AND :hi AND a.run_id = :run AND a.status = 'pending'
ORDER BY a.id
"""


# For this transaction only, in one round trip.
_LOOKUPS_ONLY = (
    "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),"
    " set_config('enable_bitmapscan', 'off', true)"
)


def _guarded(
    conn: Connection, batch: Batch, only: set[int] | None = None
) -> tuple[list[AttemptRow], list[tuple[int, str]]]:
    """The batch's pending attempts that may be sent, and those that must not with their reasons."""
    params = {"run": batch.run_id, "lo": batch.first_attempt_id, "hi": batch.last_attempt_id}
    if conn.dialect.name == "postgresql":
        # A batch is a slice of the attempts: index lookups cost its own size, a hash join the tables'.
        # Read through the primary key's range, the rows come in id order: no sort of the whole batch.
        conn.execute(text(_LOOKUPS_ONLY))
    result = conn.execute(text(_GUARDED), params)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if only is not None:
        rows = [row for row in rows if row[0] in only]
    make = AttemptRow._make
    ok = [make(row[:-1]) for row in rows if row[-1] is None]
    refused = [(row[0], row[-1]) for row in rows if row[-1] is not None]
    return ok, refused


def take(engine: Engine, batch: Batch, owner: str, today: date, only: set[int] | None = None) -> Taken | None:
    """Check the batch's attempts and mark it sent, in one transaction under the batch's lock; None
    when this worker no longer holds the batch's lease. A batch sent before (its worker died) comes
    back as ``ask_first``, unless ``only`` names the attempts the gateway said it never received."""
    with engine.begin() as conn:
        guards.lock_batch(conn, batch.id)
        held = conn.execute(
            text("SELECT sent_at FROM debit_batch WHERE id = :b AND lease_owner = :o AND status = 'claimed'"),
            {"b": batch.id, "o": owner},
        ).first()
        if held is None:
            return None
        return _take(conn, batch, held.sent_at, today, only)


def _take(conn: Connection, batch: Batch, sent_at: object, today: date, only: set[int] | None = None) -> Taken:
    """``take`` under the batch's lock, held by this worker."""
    params = {"run": batch.run_id, "lo": batch.first_attempt_id, "hi": batch.last_attempt_id}
    if sent_at is not None and only is None:
        return Taken([], load_attempts(conn, _PENDING, params))
    ok, refused = _guarded(conn, batch, only)
    guards.cancel(conn, refused, today)
    if sent_at is None:
        conn.execute(text("UPDATE debit_batch SET sent_at = :now WHERE id = :b"), {"b": batch.id, "now": utcnow()})
    return Taken(ok, [])


_PENDING = f"""
SELECT {ATTEMPT_COLUMNS} FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
WHERE a.id BETWEEN :lo AND :hi AND a.run_id = :run AND a.status = 'pending'
ORDER BY a.id
"""


def load_attempts(bind: Engine | Connection, sql: str, params: dict[str, object]) -> list[AttemptRow]:
    """``sql`` selects ``ATTEMPT_COLUMNS``. Read through the driver's own cursor: at thousands of rows
    a batch, SQLAlchemy's result rows cost twice what the query does."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_attempts(conn, sql, params)
    result = bind.execute(text(sql), params)
    try:
        return list(map(AttemptRow._make, result.cursor.fetchall()))
    finally:
        result.close()


def charge_metadata(a: AttemptRow) -> dict[str, str]:
    return {"contribution_id": str(a.contribution_id), "attempt_id": str(a.id)}


def charge_requests(attempts: list[AttemptRow]) -> list[ChargeRequest]:
    return [
        ChargeRequest(
            amount=a.amount,
            payment_method=a.payment_method,
            idempotency_key=a.idempotency_key,
            metadata=charge_metadata(a),
        )
        for a in attempts
    ]


class Lease:
    """Renews a batch's lease while its worker works it (a heartbeat every third of the lease), so a
    slow batch is not taken over; ``lost`` is set once another worker holds it, and then this one
    stops sending (what it sent, the new holder finds at the gateway by key)."""

    def __init__(self, engine: Engine, batch: Batch, owner: str, length: timedelta) -> None:
        self.lost = threading.Event()
        self._engine, self._batch, self._owner, self._length = engine, batch, owner, length
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{batch.id}", daemon=True)

    def __enter__(self) -> "Lease":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def renew(self) -> bool:
        with self._engine.begin() as conn:
            held = conn.execute(
                text(
                    "UPDATE debit_batch SET lease_expires_at = :until"
                    " WHERE id = :b AND lease_owner = :o AND status = 'claimed'"
                ),
                {"b": self._batch.id, "o": self._owner, "until": utcnow() + self._length},
            ).rowcount
        return bool(held)

    def _beat(self) -> None:
        while not self._done.wait(self._length.total_seconds() / 3):
            try:
                if not self.renew():
                    log.warning("lease_lost", batch=self._batch.id, owner=self._owner)
                    self.lost.set()
                    return
            except DBAPIError as exc:  # the database is away: try again at the next beat
                log.warning("lease_renewal_failed", batch=self._batch.id, error=type(exc).__name__)


# Charges are sent in slices this long, so that a worker that lost its lease stops within one slice.
SEND_SLICE = 500


def _send(
    gateway: Gateway, attempts: list[AttemptRow], lease: Lease | None
) -> tuple[list[AttemptRow], list[ChargeResult]]:
    sent: list[AttemptRow] = []
    results: list[ChargeResult] = []
    for start in range(0, len(attempts), SEND_SLICE):
        if lease is not None and lease.lost.is_set():
            break
        chunk = attempts[start : start + SEND_SLICE]
        with metrics.GATEWAY_SECONDS.labels(gateway.name, "charge_many").time():
            results += gateway.charge_many(charge_requests(chunk))
        sent += chunk
    return sent, results


def process(
    engine: Engine,
    gateway: Gateway,
    batch: Batch,
    policy: RetryPolicy,
    owner: str,
    lease: Lease | None = None,
    taken: Taken | None = None,
) -> dict[str, int]:
    """Send and resolve the batch, ``taken`` with its claim or else taken now."""
    if taken is None:
        taken = take(engine, batch, owner, batch.run_date)
    if taken is None:  # the lease went to another worker: it sends what is left
        return {}
    attempts, results = [], []
    if taken.ask_first:
        # Sent by a worker that died, maybe: what the gateway has is resolved; what it never received
        # is checked again and sent with the same key.
        unseen: set[int] = set()
        for attempt in taken.ask_first:
            found = gateway.lookup(attempt.idempotency_key, charge_metadata(attempt))
            if found is None or (found.status is ChargeStatus.unknown and found.gateway_reference is None):
                unseen.add(attempt.id)
            else:
                attempts.append(attempt)
                results.append(found)
        again = take(engine, batch, owner, batch.run_date, only=unseen) if unseen else Taken([], [])
        if again is None:
            return {}
        taken = again
    sent, answers = _send(gateway, taken.send, lease)
    attempts += sent
    results += answers
    with engine.begin() as conn:
        counts = resolve(conn, attempts, results, batch.run_date, policy)
        conn.execute(
            text("UPDATE debit_batch SET status = 'done', finished_at = :now WHERE id = :b AND lease_owner = :o"),
            {"b": batch.id, "o": owner, "now": utcnow()},
        )
        runs.complete_if_done(conn, batch.run_id)
    metrics.count_results(results, [a.amount for a in attempts])
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
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Claim and process batches until none is left (and ``planning()`` says no more are coming) or
    ``stopping()`` says to finish the batch in hand and stop; returns the number of attempts processed."""
    owner = owner or worker_name()
    done = 0
    while not stopping():
        # Asked before the claim: a planner that finished between an empty claim and this question
        # would have committed batches nobody takes.
        more_coming = planning()
        claimed = claim_and_take(engine, owner, lease)
        if claimed is None:
            if not more_coming:
                return done
            time.sleep(0.02)
            continue
        batch, taken = claimed
        if clock is not None:
            clock.today = batch.run_date
        started = time.perf_counter()
        with Lease(engine, batch, owner, lease) as held:
            counts = process(engine, gateway, batch, policy, owner, held, taken)
        seconds = time.perf_counter() - started
        metrics.BATCH_SECONDS.observe(seconds)
        log.info("batch_done", batch=batch.id, run=batch.run_id, seconds=round(seconds, 3), **counts)
        done += processed(counts)
        if on_batch:
            on_batch(counts)
    return done
