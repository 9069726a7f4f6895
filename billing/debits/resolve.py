"""Writing outcomes back: one transaction per set of results, set-based and idempotent.

The results go into a temporary table, ``tmp_results`` (COPY on PostgreSQL). The attempts take them
first, and only results that change an attempt stay: an unsettled attempt takes any outcome, and a
success the gateway reports late (after we counted the attempt failed, or cancelled it) is taken
too: the gateway's word wins. Then each domain writes its own tables from what stayed, set-based:
the contributions are paid, the ledger posts, the participants' credit takes a success whose month
was settled meanwhile, the failed months are rescheduled or stopped, and, as the failure class's
policy (``gateways.failures.CLASS_POLICY``) says, mandates are suspended and workers told.

``tmp_results``: id (attempt), contribution_id, participant_id, mandate_id, attempt_no, amount, status,
failure_code, ref, next_on, stop, retry_at, params (a notice's), gateway_code (the gateway's own code of
a failure or unknown), target ('credit' for a success that pays no month)."""

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, Date, bindparam, text

from billing.contributions import settle as contributions
from billing.db import ids_of
from billing.debits.guards import CancelReason, cancel_unsent
from billing.debits.policy import RetryPolicy
from billing.failed_debits import sync as failed_debits
from billing.gateways.base import ChargeResult, ChargeStatus
from billing.gateways.failures import rule
from billing.ledger.service import post_debit_receipts
from billing.mandates.service import suspend_for_failures
from billing.notices.service import queue_debit_failed
from billing.payments import credit
from billing.timeutil import utcnow


class AttemptRow(NamedTuple):
    """A NamedTuple: a batch builds thousands, straight from the driver's tuples."""

    id: int
    contribution_id: int
    participant_id: int
    mandate_id: int
    attempt_no: int
    amount: int
    idempotency_key: str
    payment_method: str


# Every query of attempts to resolve joins the contribution ``c``: the participant comes with it.
ATTEMPT_COLUMNS = (
    "a.id, a.contribution_id, c.participant_id, a.mandate_id, a.attempt_no, a.amount, a.idempotency_key,"
    " a.payment_method"
)


def _failure_context(conn: Connection, contribution_ids: list[int]) -> dict[int, tuple[date, int]]:
    """Month and attempts cancelled unsent of the contributions whose debit failed: only failures need
    them (the retry policy counts sent attempts, not cancelled ones)."""
    if not contribution_ids:
        return {}
    select = (
        "SELECT c.id, c.period, COALESCE(s.skipped, 0) FROM contribution c"
        " LEFT JOIN debit_schedule s ON s.contribution_id = c.id WHERE "
    )
    if conn.dialect.name == "postgresql":
        # One array parameter: an IN list of hundreds of parameters costs more to build and parse than to run.
        clause = text(select + "c.id = ANY(CAST(:ids AS BIGINT[]))")
    else:
        clause = text(select + "c.id IN :ids").bindparams(bindparam("ids", expanding=True))
    found = conn.execute(clause.columns(period=Date), {"ids": contribution_ids})
    return {cid: (period, int(skipped)) for cid, period, skipped in found}


_COLUMNS = (
    "id, contribution_id, participant_id, mandate_id, attempt_no, amount, status, failure_code, ref, next_on, stop,"
    " retry_at, params, gateway_code"
)


# The types of ``_COLUMNS`` as COPY sends them (text format: the server casts to each column's type).
_COPY_TYPES = [
    "int8",
    "int8",
    "int4",
    "int4",
    "int4",
    "int8",
    "text",
    "text",
    "text",
    "date",
    "text",
    "timestamptz",
    "text",
    "text",
]


def _create_temp(conn: Connection) -> None:
    pg = conn.dialect.name == "postgresql"
    timestamp, json_type = ("TIMESTAMPTZ", "JSON") if pg else ("TIMESTAMP", "TEXT")
    columns = (
        "id BIGINT, contribution_id BIGINT, participant_id INTEGER, mandate_id INTEGER,"
        " attempt_no INTEGER, amount BIGINT, status VARCHAR(16), failure_code VARCHAR(40), ref VARCHAR(80),"
        f" next_on DATE, stop VARCHAR(40), retry_at {timestamp}, params {json_type}, gateway_code VARCHAR(40),"
        " target VARCHAR(8)"
    )
    if pg:
        # Made once per connection and emptied by each commit (SQLite has no ON COMMIT): creating and
        # dropping it for every batch wrote the system catalogs each time. The DELETE is for a second
        # resolve in the same transaction; both go in one round trip (no parameters: one simple query).
        # No primary key: every statement reads the table whole, and indexing each COPY cost a fifth of it.
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS tmp_results ({columns}) ON COMMIT DELETE ROWS; DELETE FROM tmp_results"
        )
        return
    conn.execute(text("DROP TABLE IF EXISTS tmp_results"))
    conn.execute(text(f"CREATE TEMP TABLE tmp_results ({columns})"))


def _fill_temp(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f"COPY tmp_results ({_COLUMNS}) FROM STDIN") as copy:  # type: ignore[union-attr]
            copy.set_types(_COPY_TYPES)  # no adapter looked up for each value: 40% less Python
            for row in rows:
                copy.write_row(row)
    else:
        conn.exec_driver_sql(f"INSERT INTO tmp_results ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def _classify(result: ChargeResult) -> str:
    """A failure the gateway never processed (5xx, rate limit) is settled like an unknown: same key."""
    if (
        result.status is ChargeStatus.failed
        and result.failure_code is not None
        and rule(result.failure_code).policy.same_key
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
    """Apply ``results`` (one per attempt, in order) inside the caller's transaction; returns the
    number of results by outcome, and of attempts they ``changed``. Resolving the same results again
    changes nothing."""
    now = now or utcnow()
    counts = {"succeeded": 0, "failed": 0, "unknown": 0, "changed": 0}
    for these, theirs in _passes(attempts, results):
        done = _resolve(these, theirs, today, policy, now, conn)
        counts = {k: counts[k] + done[k] for k in counts}
    return counts


def _passes(
    attempts: Sequence[AttemptRow], results: Sequence[ChargeResult]
) -> list[tuple[Sequence[AttemptRow], Sequence[ChargeResult]]]:
    """The set-based writes take one result per month at a time: a second result of a month (a
    duplicate, a late success after a retry's) waits for the next pass. A worker's batch has one
    attempt per month: one pass, without sorting them out one by one."""
    if len({a.contribution_id for a in attempts}) == len(attempts):
        return [(attempts, results)]
    passes: list[list[int]] = []
    seen: dict[int, int] = {}
    for i, a in enumerate(attempts):
        n = seen.get(a.contribution_id, 0)
        seen[a.contribution_id] = n + 1
        if n == len(passes):
            passes.append([])
        passes[n].append(i)
    return [([attempts[i] for i in indices], [results[i] for i in indices]) for indices in passes]


def processed(counts: dict[str, int]) -> int:
    """How many results ``counts`` holds (``changed`` counts some of them again)."""
    return counts.get("succeeded", 0) + counts.get("failed", 0) + counts.get("unknown", 0)


# A failure's retry date, stop reason and notice, by (code, attempts sent, month, amount): a batch's
# failures share a handful of these, and working each out again cost more than all its successes.
_Outcome = tuple[date | None, str | None, str | None]


def _failure(code: str, sent: int, period: date, amount: int, today: date, policy: RetryPolicy) -> _Outcome:
    next_on: date | None = None
    stop: str | None = None
    params: str | None = None
    class_policy = rule(code).policy
    if class_policy.retry:
        next_on = policy.next_retry(code, today, sent, period)
    if next_on is None:
        stop = "max_attempts" if class_policy.retry else code
    if class_policy.notify_worker:
        next_try = next_on.isoformat() if next_on else None
        params = json.dumps({"code": code, "amount": amount, "period": period.isoformat(), "next_try": next_try})
    return next_on, stop, params


def _row(
    a: AttemptRow,
    r: ChargeResult,
    status: str,
    context: dict[int, tuple[date, int]],
    today: date,
    policy: RetryPolicy,
    now: datetime,
    failures: dict[tuple[str, int, date, int], _Outcome],
) -> tuple[object, ...]:
    code = r.failure_code.value if r.failure_code else None
    next_on: date | None = None
    stop: str | None = None
    retry_at: datetime | None = None
    params: str | None = None
    if status == "failed":
        assert code is not None
        period, skipped = context[a.contribution_id]
        key = (code, a.attempt_no - skipped, period, a.amount)
        known = failures.get(key)
        if known is None:
            known = failures[key] = _failure(*key, today, policy)
        next_on, stop, params = known
    elif status == "unknown":
        delay = rule(code).retry_after if code else None
        retry_at = now + (delay or timedelta(minutes=5))
    return (
        a.id,
        a.contribution_id,
        a.participant_id,
        a.mandate_id,
        a.attempt_no,
        a.amount,
        status,
        code,
        r.gateway_reference,
        next_on,
        stop,
        retry_at,
        params,
        r.raw_code[:40] if r.raw_code else None,
    )


def _resolve(
    attempts: Sequence[AttemptRow],
    results: Sequence[ChargeResult],
    today: date,
    policy: RetryPolicy,
    now: datetime,
    conn: Connection,
) -> dict[str, int]:
    statuses = [_classify(r) for r in results]
    tally = Counter(statuses)
    counts = {"succeeded": tally["succeeded"], "failed": tally["failed"], "unknown": tally["unknown"], "changed": 0}
    failed = [a.contribution_id for a, st in zip(attempts, statuses, strict=True) if st == "failed"]
    context = _failure_context(conn, failed)
    failures: dict[tuple[str, int, date, int], _Outcome] = {}
    rows = [
        (
            (
                a.id,
                a.contribution_id,
                a.participant_id,
                a.mandate_id,
                a.attempt_no,
                a.amount,
                status,
                None,
                r.gateway_reference,
                None,
                None,
                None,
                None,
                None,
            )
            if status == "succeeded"  # nine rows in ten: nothing to reschedule or tell
            else _row(a, r, status, context, today, policy, now, failures)
        )
        for a, r, status in zip(attempts, results, statuses, strict=True)
    ]
    if not rows:
        return counts
    _create_temp(conn)
    _fill_temp(conn, rows)
    bind = {"today": today, "now": now}
    changed = ids_of(conn.execute(text(_SETTLE_ATTEMPTS), bind))
    late = len(changed) < len(rows)
    if late:
        # A duplicate, a stale outcome, or a webhook that got there first: those attempts stay as they are.
        stale = [row[0] for row in rows if row[0] not in changed]
        delete = text("DELETE FROM tmp_results WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
        conn.execute(delete, {"ids": stale})
        rows = [row for row in rows if row[0] in changed]
    counts["changed"] = len(rows)
    succeeded = [row for row in rows if row[6] == "succeeded"]
    unpaid: list[tuple[object, ...]] = []
    if succeeded:
        paid = contributions.pay_by_debit(conn, today, now)
        # A success whose month was settled meanwhile (a receipt, credit or a waiver while the debit was at
        # the gateway, or a late success after a retry paid it) is the participant's credit.
        if len(paid) < len(succeeded):
            unpaid = [row for row in succeeded if row[1] not in paid]
            mark = text("UPDATE tmp_results SET target = 'credit' WHERE id IN :ids")
            conn.execute(mark.bindparams(bindparam("ids", expanding=True)), {"ids": [row[0] for row in unpaid]})
        post_debit_receipts(conn, today, now, to_credit=bool(unpaid))
    conn.execute(text(_UNSETTLED_DONE))
    if tally["unknown"]:
        conn.execute(text(_UNSETTLED_AGAIN))
    failures = [row for row in rows if row[6] == "failed"]
    if failures:
        conn.execute(text(_SCHEDULE))
        queue_debit_failed(conn, now)
        suspend = [(row[3], row[7]) for row in failures if rule(str(row[7])).policy.suspend_mandate]
        if suspend:
            suspend_for_failures(conn, suspend, today)
    if late and succeeded:
        # A retry planned for a month a late success paid is not sent.
        cancel_unsent(conn, [row[1] for row in succeeded], CancelReason.contribution_settled, today)
    if unpaid:
        credit.apply(conn, {row[2] for row in unpaid}, today)
    failed_debits.after_resolve(conn)
    if conn.dialect.name != "postgresql":
        conn.execute(text("DROP TABLE tmp_results"))
    return counts


# Attempts: an unsettled one takes any outcome; a failed or cancelled one only a success (the gateway
# took the money after all). The ids returned are the attempts that changed. (Given a batch's id range,
# PostgreSQL would read the range once instead of looking up each attempt, a fifth less; but planned
# on the attempts' statistics from before the run, it may as well scan the results once per attempt.)
_SETTLE_ATTEMPTS = """UPDATE debit_attempt SET status = r.status, failure_code = r.failure_code,
           gateway_code = r.gateway_code,
           gateway_reference = COALESCE(r.ref, debit_attempt.gateway_reference),
           resolved_at = CASE WHEN r.status IN ('succeeded', 'failed') THEN :now ELSE NULL END
       FROM tmp_results r
       WHERE debit_attempt.id = r.id AND (debit_attempt.status IN ('pending', 'unknown')
             OR (r.status = 'succeeded' AND debit_attempt.status IN ('failed', 'cancelled')))
       RETURNING debit_attempt.id"""

# Outcomes still to settle wait in ``debit_unsettled``; failed months are rescheduled or stopped.
_UNSETTLED_DONE = (
    "DELETE FROM debit_unsettled WHERE attempt_id IN (SELECT id FROM tmp_results WHERE status <> 'unknown')"
)

_UNSETTLED_AGAIN = """INSERT INTO debit_unsettled (attempt_id, retry_at, checks)
       SELECT r.id, r.retry_at, 0 FROM tmp_results r WHERE r.status = 'unknown'
       ON CONFLICT (attempt_id) DO UPDATE SET retry_at = excluded.retry_at"""

_SCHEDULE = """INSERT INTO debit_schedule (contribution_id, attempts, next_debit_on, stopped_reason)
       SELECT r.contribution_id, r.attempt_no, r.next_on, r.stop FROM tmp_results r WHERE r.status = 'failed'
       ON CONFLICT (contribution_id) DO UPDATE SET attempts = excluded.attempts,
           next_debit_on = excluded.next_debit_on, stopped_reason = excluded.stopped_reason"""
