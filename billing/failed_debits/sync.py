"""Keeping the queue (``failed_debit``) in step with its sources, set-based, in the caller's transaction.

A participant's rows are rebuilt whole (deleted and selected again from the contribution, attempt,
participant and mandate rows), so each hook only names whose rows may have changed:

- the debit resolver, after writing a set of results (``after_resolve``): the participants of failed
  and unknown results, and those of successes who have rows in the queue;
- paying, un-paying and waiving a month, and pricing it again (``months``); a month to be tried again
  because its attempt was cancelled unsent (``attempts``); retries opened again for a new mandate;
- a re-registration, which lapses the old membership's months (``participants``), a sponsor paying
  its members' months and one receipt for many months (those of them in the queue: ``queued_among``).

Whole participants, not months: the date coverage would end depends on the participant's oldest unpaid
month, which any of their months can move. A month generated later for an earlier period (rare: a
month skipped by generation) is seen at the participant's next change; ``rebuild`` redoes everything."""

from collections.abc import Collection

from sqlalchemy import Connection, TextClause, bindparam, text

from billing.contributions.models import ContributionStatus
from billing.debits.models import AttemptStatus

# The advisory locks' first key (a bucket of participant ids is the second): the two-key form, apart
# from the one-key locks of runs, generation and snapshots.
LOCK_NAMESPACE = 0x46_44_42_54  # "FDBT"
LOCK_BUCKETS = 512
SQLITE_CHUNK = 10_000

COLUMNS = (
    "contribution_id, participant_id, full_name, region_code, ecosystem, period, amount, attempt_id, attempt_no,"
    " mandate_id, outcome, failure_code, gateway_code, gateway, channel, attempted_on, next_retry_on, stopped_reason,"
    " unpaid_from"
)

# The latest answered attempt of each due month, when it failed or is unknown; pending and cancelled
# attempts were never answered. ``attempted_on`` is the run's business day. The months and their latest
# attempt are found first (MATERIALIZED: an index probe per month, whatever the statistics say; joined
# to the attempts, PostgreSQL planned on stale statistics could hash every failed attempt of the table).
_WITH_ROWS = """
WITH months AS MATERIALIZED (
    SELECT c.id, c.participant_id, c.period, c.amount_due - c.amount_paid AS owed,
           (SELECT x.id FROM debit_attempt x WHERE x.contribution_id = c.id AND x.status IN :answered
            ORDER BY x.attempt_no DESC LIMIT 1) AS attempt_id
    FROM contribution c WHERE c.status = :due {where}
)
{insert}
SELECT c.id, c.participant_id, p.full_name, p.region_code, p.ecosystem, c.period, c.owed,
       a.id, a.attempt_no, a.mandate_id, a.status, a.failure_code, a.gateway_code, a.gateway, m.channel,
       COALESCE(r.run_date, date(a.created_at)), s.next_debit_on, s.stopped_reason,
       COALESCE((SELECT MIN(u.period) FROM contribution u
                 WHERE u.participant_id = c.participant_id AND u.status = :due AND u.period >= p.membership_from),
                c.period)
FROM months c
JOIN participant p ON p.id = c.participant_id
JOIN debit_attempt a ON a.id = c.attempt_id
JOIN mandate m ON m.id = a.mandate_id
LEFT JOIN job_run r ON r.id = a.run_id
LEFT JOIN debit_schedule s ON s.contribution_id = c.id
WHERE a.status IN :queued
"""

_PARAMS = {
    "due": ContributionStatus.due.value,
    "answered": [AttemptStatus.succeeded.value, AttemptStatus.failed.value, AttemptStatus.unknown.value],
    "queued": [AttemptStatus.failed.value, AttemptStatus.unknown.value],
}

# Participants touched by a resolver's results (``tmp_results``, see billing.debits.resolve). The scalar
# subquery probes the queue's index once per success; a join would let the planner hash the whole queue
# for every batch of results.
_RESOLVED = """
SELECT participant_id FROM tmp_results WHERE status IN :queued
UNION
SELECT r.participant_id FROM tmp_results r
WHERE r.status = :succeeded
  AND (SELECT q.contribution_id FROM failed_debit q WHERE q.participant_id = r.participant_id LIMIT 1) IS NOT NULL
"""


def _insert(where: str = "") -> TextClause:
    insert = f"INSERT INTO failed_debit ({COLUMNS})"
    return text(_WITH_ROWS.format(where=where, insert=insert)).bindparams(
        bindparam("answered", expanding=True), bindparam("queued", expanding=True)
    )


def participants(conn: Connection, participant_ids: Collection[int]) -> None:
    """Rebuild the queue rows of these participants."""
    ids = sorted(set(participant_ids))
    # SQLite binds at most 32,766 parameters a statement: a history import may name more participants.
    chunk = len(ids) if conn.dialect.name == "postgresql" else SQLITE_CHUNK
    for start in range(0, len(ids), chunk or 1):
        _rebuild(conn, ids[start : start + chunk])


def _rebuild(conn: Connection, ids: list[int]) -> None:
    if conn.dialect.name == "postgresql":
        # Two transactions rebuilding one participant (two debit batches, a batch and a receipt) take
        # turns: the second reads what the first committed instead of inserting the rows it inserted.
        # One lock per bucket of participants, so that a batch of a bank outage (every result unknown)
        # holds a few hundred locks, not thousands; in bucket order, so that two rebuilds take them in
        # the same order.
        buckets = sorted({pid % LOCK_BUCKETS for pid in ids})
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:ns, b) FROM unnest(CAST(:buckets AS INTEGER[])) b"),
            {"ns": LOCK_NAMESPACE, "buckets": buckets},
        )
        # One array parameter: an IN list of hundreds of parameters costs more to build and parse than to run.
        match = "participant_id = ANY(CAST(:ids AS BIGINT[]))"
        delete, insert = text(f"DELETE FROM failed_debit WHERE {match}"), _insert(f"AND c.{match}")
    else:
        delete = text("DELETE FROM failed_debit WHERE participant_id IN :ids")
        insert = _insert("AND c.participant_id IN :ids")
        delete, insert = (q.bindparams(bindparam("ids", expanding=True)) for q in (delete, insert))
    conn.execute(delete, {"ids": ids})
    conn.execute(insert, {**_PARAMS, "ids": ids})


def months(conn: Connection, contribution_ids: Collection[int]) -> None:
    """Rebuild the queue rows of the participants of these months."""
    if not contribution_ids:
        return
    found = conn.execute(
        text("SELECT DISTINCT participant_id FROM contribution WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": sorted(set(contribution_ids))},
    )
    participants(conn, [row[0] for row in found])


def attempts(conn: Connection, attempt_ids: Collection[int]) -> None:
    """Rebuild the queue rows of the participants whose months these attempts were for."""
    if not attempt_ids:
        return
    found = conn.execute(
        text(
            "SELECT DISTINCT c.participant_id FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id"
            " WHERE a.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": sorted(set(attempt_ids))},
    )
    participants(conn, [row[0] for row in found])


def queued_among(conn: Connection, participants_sql: str, params: dict[str, object]) -> list[int]:
    """Those of the participants ``participants_sql`` selects who have rows in the queue."""
    found = conn.execute(
        text(f"SELECT DISTINCT participant_id FROM failed_debit WHERE participant_id IN ({participants_sql})"), params
    )
    return [row[0] for row in found]


def after_resolve(conn: Connection) -> None:
    """After the resolver applied ``tmp_results``: rebuild the rows its results may have changed."""
    query = text(_RESOLVED).bindparams(bindparam("queued", expanding=True))
    found = conn.execute(query, {"queued": _PARAMS["queued"], "succeeded": AttemptStatus.succeeded.value})
    participants(conn, [row[0] for row in found])


def rebuild(conn: Connection) -> int:
    """The whole queue selected again from its sources; returns how many rows it has."""
    conn.execute(text("DELETE FROM failed_debit"))
    return int(conn.execute(_insert(), _PARAMS).rowcount)
