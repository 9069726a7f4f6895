"""Writing outcomes back: one transaction per batch of results, set-based and idempotent.

The results go into a temporary table (COPY on PostgreSQL); a handful of UPDATE ... FROM and
INSERT ... SELECT statements then resolve the attempts, pay the contributions, post the ledger,
reschedule or stop retries, and queue the notices. Each statement is guarded (only unsettled
attempts, only due contributions, unique ledger and notice keys), so resolving twice changes nothing."""

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, Date, bindparam, text
from sqlmodel import Session

from billing.debits.policy import RetryPolicy
from billing.gateways.base import ChargeResult, ChargeStatus
from billing.gateways.failures import FailureClass, rule
from billing.mandates.service import suspend_for_failure
from billing.timeutil import utcnow


class AttemptRow(NamedTuple):
    """A NamedTuple: a batch builds thousands, straight from the driver's tuples."""

    id: int
    contribution_id: int
    mandate_id: int
    attempt_no: int
    amount: int
    idempotency_key: str
    payment_method: str


ATTEMPT_COLUMNS = "a.id, a.contribution_id, a.mandate_id, a.attempt_no, a.amount, a.idempotency_key, a.payment_method"


def _failure_context(conn: Connection, contribution_ids: list[int]) -> dict[int, tuple[int, date]]:
    """Participant and month of the contributions whose debit failed: only failures need them."""
    if not contribution_ids:
        return {}
    if conn.dialect.name == "postgresql":
        # One array parameter: an IN list of hundreds of parameters costs more to build and parse than to run.
        clause = text("SELECT id, participant_id, period FROM contribution WHERE id = ANY(CAST(:ids AS BIGINT[]))")
    else:
        clause = text("SELECT id, participant_id, period FROM contribution WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
    found = conn.execute(clause.columns(period=Date), {"ids": contribution_ids})
    return {cid: (pid, period) for cid, pid, period in found}


_COLUMNS = (
    "id, contribution_id, participant_id, attempt_no, amount, status, failure_code, ref, next_on, stop, retry_at,"
    " params"
)


def _create_temp(conn: Connection) -> None:
    pg = conn.dialect.name == "postgresql"
    timestamp, json = ("TIMESTAMPTZ", "JSON") if pg else ("TIMESTAMP", "TEXT")
    columns = (
        "id BIGINT PRIMARY KEY, contribution_id BIGINT, participant_id INTEGER, attempt_no INTEGER, amount BIGINT,"
        " status VARCHAR(16), failure_code VARCHAR(40), ref VARCHAR(80), next_on DATE, stop VARCHAR(40),"
        f" retry_at {timestamp}, params {json}"
    )
    if pg:
        # Made once per connection and emptied by each commit (SQLite has no ON COMMIT): creating and
        # dropping it for every batch wrote the system catalogs each time. The DELETE is for a second
        # resolve in the same transaction.
        conn.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS tmp_results ({columns}) ON COMMIT DELETE ROWS"))
        conn.execute(text("DELETE FROM tmp_results"))
        return
    conn.execute(text("DROP TABLE IF EXISTS tmp_results"))
    conn.execute(text(f"CREATE TEMP TABLE tmp_results ({columns})"))


def _fill_temp(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f"COPY tmp_results ({_COLUMNS}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    else:
        conn.exec_driver_sql(f"INSERT INTO tmp_results ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def _classify(result: ChargeResult) -> str:
    """A failure the gateway never processed (5xx, rate limit) is settled like an unknown: same key."""
    if (
        result.status is ChargeStatus.failed
        and result.failure_code is not None
        and rule(result.failure_code).failure_class is FailureClass.transient
    ):
        return "unknown"
    return result.status.value


def resolve(
    conn: Connection,
    attempts: Sequence[AttemptRow],
    results: Sequence[ChargeResult],
    today: date,
    policy: RetryPolicy,
    now: datetime | None = None,
) -> dict[str, int]:
    now = now or utcnow()
    rows: list[tuple[object, ...]] = []
    hard: list[tuple[AttemptRow, str]] = []
    counts = {"succeeded": 0, "failed": 0, "unknown": 0}
    statuses = [_classify(r) for r in results]
    context = _failure_context(
        conn, [a.contribution_id for a, st in zip(attempts, statuses, strict=True) if st == "failed"]
    )
    for a, r, status in zip(attempts, results, statuses, strict=True):
        counts[status] += 1
        code = r.failure_code.value if r.failure_code else None
        if status == "succeeded":  # nine rows in ten: nothing to reschedule or tell
            ref = r.gateway_reference
            rows.append(
                (a.id, a.contribution_id, None, a.attempt_no, a.amount, status, code, ref, None, None, None, None)
            )
            continue
        next_on: date | None = None
        stop: str | None = None
        retry_at: datetime | None = None
        params: str | None = None
        participant_id: int | None = None
        if status == "failed":
            assert code is not None
            participant_id, period = context[a.contribution_id]
            next_on = policy.next_retry(code, today, a.attempt_no, period)
            if next_on is None:
                stop = code if rule(code).failure_class is FailureClass.hard else "max_attempts"
            if rule(code).failure_class is FailureClass.hard:
                hard.append((a, code))
            params = json.dumps(
                {
                    "code": code,
                    "amount": a.amount,
                    "period": period.isoformat(),
                    "next_try": next_on.isoformat() if next_on else None,
                }
            )
        elif status == "unknown":
            delay = rule(code).retry_after if code else None
            retry_at = now + (delay or timedelta(minutes=5))
        rows.append(
            (
                a.id,
                a.contribution_id,
                participant_id,
                a.attempt_no,
                a.amount,
                status,
                code,
                r.gateway_reference,
                next_on,
                stop,
                retry_at,
                params,
            )
        )
    if not rows:
        return counts
    _create_temp(conn)
    _fill_temp(conn, rows)
    bind = {"today": today, "now": now}
    settled = conn.execute(text(_SETTLE_ATTEMPTS), bind).rowcount  # type: ignore[attr-defined]
    # Every attempt of the batch was unsettled and is now ours (locked until commit on PostgreSQL), and
    # an attempt's posting and notice are written only in the transaction that settles it: none exists
    # yet, so plain inserts will do, and the unique keys still stand guard. Otherwise (a replay, a
    # webhook first) the conflicts are skipped instead.
    skip = "" if settled == len(rows) else " ON CONFLICT DO NOTHING"
    for statement in (*_STATEMENTS, _POST + skip, _NOTICE + skip):
        conn.execute(text(statement), bind)
    if conn.dialect.name != "postgresql":
        conn.execute(text("DROP TABLE tmp_results"))
    if hard:
        session = Session(bind=conn)
        for a, code in hard:
            suspend_for_failure(session, a.mandate_id, code, today)
        session.flush()
    return counts


# Attempts: only the unsettled ones change, so a late duplicate resolution is a no-op.
_SETTLE_ATTEMPTS = """UPDATE debit_attempt SET status = r.status, failure_code = r.failure_code,
           gateway_reference = COALESCE(r.ref, debit_attempt.gateway_reference),
           resolved_at = CASE WHEN r.status IN ('succeeded', 'failed') THEN :now ELSE NULL END
       FROM tmp_results r
       WHERE debit_attempt.id = r.id AND debit_attempt.status IN ('pending', 'unknown')"""

_STATEMENTS = (
    """DELETE FROM debit_unsettled WHERE attempt_id IN (SELECT id FROM tmp_results WHERE status <> 'unknown')""",
    """INSERT INTO debit_unsettled (attempt_id, retry_at)
       SELECT r.id, r.retry_at FROM tmp_results r WHERE r.status = 'unknown'
       ON CONFLICT (attempt_id) DO UPDATE SET retry_at = excluded.retry_at""",
    """UPDATE contribution SET status = 'paid', paid_via = 'debit', paid_on = :today, paid_at = :now
       FROM tmp_results r
       WHERE r.status = 'succeeded' AND contribution.id = r.contribution_id AND contribution.status = 'due'""",
    """INSERT INTO debit_schedule (contribution_id, attempts, next_debit_on, stopped_reason)
       SELECT r.contribution_id, r.attempt_no, r.next_on, r.stop FROM tmp_results r WHERE r.status = 'failed'
       ON CONFLICT (contribution_id) DO UPDATE SET attempts = excluded.attempts,
           next_debit_on = excluded.next_debit_on, stopped_reason = excluded.stopped_reason""",
)

# The ledger: one transfer per succeeded attempt, keyed by the attempt.
_POST = """INSERT INTO ledger_transfer
           (attempt_id, contribution_id, debit_account, credit_account, amount, posted_on, created_at)
       SELECT r.id, r.contribution_id, 'gateway_clearing', 'contributions_receivable', r.amount, :today, :now
       FROM tmp_results r WHERE r.status = 'succeeded'"""

_NOTICE = """INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)
       SELECT r.participant_id, 'debit_failed', 'debit_failed:' || r.id, r.params, :now
       FROM tmp_results r WHERE r.status = 'failed'"""
