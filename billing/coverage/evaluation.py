"""Lapse evaluation, set-based: nightly for everyone, or for one participant right after money
reached them (the same statements with one more condition).

The months of the current membership run from ``participant.membership_from`` (the enrolment month,
or the month of the latest re-registration); a month is due once its due date has come (M, the latest
due month) and covered only when paid or waived (a missing contribution is not). Arrears are the due
months from the oldest uncovered one through M: none → ``active``; 1..``arrears_months`` →
``in_arrears``; more → ``ended``. Money is applied to the oldest due month first, so paying the
arrears moves the oldest uncovered month forward and re-anchors the count; a later month paid ahead
hides nothing. A member whose first month is not due yet keeps ``registered``. Every change is
written as a coverage event with its cause, and a notice to the worker."""

import re
from datetime import date

from sqlalchemy import Connection, Date, Engine, column, text

from billing.contributions.due_dates import due_date_for
from billing.notices.service import json_object
from billing.timeutil import add_months, utcnow

EVALUATED = "p.status NOT IN ('ended', 'cancelled')"

# Each membership's due months that have a contribution: how many, the last, and the first one not
# covered. One pass over the contributions, grouped like a plain count.
_ROWS = """
SELECT c.participant_id, COUNT(*) AS total, MAX(c.period) AS last_period,
       MIN(CASE WHEN c.status NOT IN ('paid', 'waived') THEN c.period END) AS unpaid_period
FROM contribution c
JOIN participant p ON p.id = c.participant_id
WHERE c.period >= p.membership_from AND c.period <= :m AND {evaluated} {only}
GROUP BY c.participant_id
"""

# The covered months at the head of the membership (the position of the first uncovered month, 0 for
# its first month). When the months with a contribution are the first ``total`` ones, that is the
# first not paid (or all of them); when a month in between was never billed (rare), that month.
_COVERED = """
CASE WHEN r.participant_id IS NULL THEN 0
     WHEN lt.idx - s.idx = r.total - 1 THEN COALESCE(ut.idx - s.idx, r.total)
     ELSE (SELECT CASE WHEN ut.idx - s.idx < MIN(m.idx) - s.idx THEN ut.idx - s.idx ELSE MIN(m.idx) - s.idx END
           FROM tmp_coverage_month m
           WHERE m.idx >= s.idx
             AND NOT EXISTS (SELECT 1 FROM contribution c WHERE c.participant_id = p.id AND c.period = m.period))
END
"""

# tmp_coverage_month holds the months from the earliest membership start through M only: a member
# whose first month is later (not due yet) finds no row and is left as is.
_TARGETS = """
INSERT INTO tmp_coverage (participant_id, from_status, to_status, unpaid_from, last_paid)
SELECT x.id, x.status,
       CASE WHEN x.covered > :m_idx - x.s_idx THEN 'active'
            WHEN :m_idx - x.s_idx - x.covered < :arrears THEN 'in_arrears'
            ELSE 'ended' END,
       u.period, lp.period
FROM (SELECT p.id, p.status, s.idx AS s_idx, {covered} AS covered
      FROM participant p
      JOIN tmp_coverage_month s ON s.period = p.membership_from
      LEFT JOIN ({rows}) r ON r.participant_id = p.id
      LEFT JOIN tmp_coverage_month lt ON lt.period = r.last_period
      LEFT JOIN tmp_coverage_month ut ON ut.period = r.unpaid_period
      WHERE {evaluated} {only}) x
LEFT JOIN tmp_coverage_month u ON u.idx = x.s_idx + x.covered
LEFT JOIN tmp_coverage_month lp ON lp.idx = x.s_idx + x.covered - 1 AND lp.idx >= x.s_idx
"""

# A lapse is the sponsor's when the unpaid run starts in or after the month a sponsorship of this
# membership stopped, with no month paid by the worker in between; else the latest failed debit's
# code, else a revoked mandate, else ``no_payment`` (no mandate, or never debited).
_CAUSE = """
COALESCE(
  (SELECT 'sponsor_stopped' FROM sponsor_member sm
   JOIN sponsor s ON s.id = sm.sponsor_id AND s.status = 'stopped' AND s.stopped_on <= :today
   JOIN participant p ON p.id = sm.participant_id AND s.stopped_on >= p.membership_from
   JOIN tmp_coverage_month u ON u.period = t.unpaid_from AND s.stopped_on < u.next_period
   WHERE sm.participant_id = t.participant_id AND (sm.left_on IS NULL OR sm.left_on >= s.stopped_on)
     AND NOT EXISTS (
       SELECT 1 FROM contribution c JOIN tmp_coverage_month mc ON mc.period = c.period
       WHERE c.participant_id = t.participant_id AND c.status IN ('paid', 'waived') AND c.payer = 'self'
         AND mc.next_period > s.stopped_on AND c.period < u.period)
   LIMIT 1),
  (SELECT a.failure_code FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
   WHERE c.participant_id = t.participant_id AND a.status = 'failed' ORDER BY a.id DESC LIMIT 1),
  (SELECT 'mandate_revoked' FROM mandate m WHERE m.participant_id = t.participant_id AND m.status = 'revoked'
   LIMIT 1),
  'no_payment')
"""

# In an UPDATE of tmp_coverage the row is named by the table, not by an alias.
_CAUSE_OF_TMP = re.sub(r"\bt\.", "tmp_coverage.", _CAUSE)

_KIND = """
CASE WHEN t.to_status = 'ended' AND t.cause = 'sponsor_stopped' THEN 'sponsor_stopped'
     WHEN t.to_status = 'ended' THEN 'ended'
     WHEN t.to_status = 'in_arrears' THEN 'entered_arrears'
     WHEN t.from_status = 'in_arrears' THEN 'recovered'
     ELSE 'activated' END
"""

_STATEMENTS = (
    "DELETE FROM tmp_coverage WHERE to_status = from_status",
    f"UPDATE tmp_coverage SET cause = {_CAUSE_OF_TMP} WHERE to_status IN ('in_arrears', 'ended') AND cause IS NULL",
    # Only from the status read: a cancellation or re-registration committed meanwhile wins, and the
    # change it overtook is dropped (no event for a change that was not made).
    """UPDATE participant SET status = t.to_status FROM tmp_coverage t
       WHERE participant.id = t.participant_id AND participant.status = t.from_status""",
    """DELETE FROM tmp_coverage WHERE NOT EXISTS (
       SELECT 1 FROM participant p WHERE p.id = tmp_coverage.participant_id AND p.status = tmp_coverage.to_status)""",
    f"""INSERT INTO coverage_event (participant_id, occurred_on, kind, from_status, to_status, cause, created_at)
        SELECT t.participant_id, :today, {_KIND}, t.from_status, t.to_status, t.cause, :now FROM tmp_coverage t""",
)

# The params are what billing.notices.texts renders: the unpaid months (after last_paid, through the
# latest due month), the deadline (arrears_months after last_paid) and the cause.
_NOTICES = """
INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)
SELECT t.participant_id,
       CASE WHEN t.to_status = 'ended' THEN 'coverage_ended' ELSE 'coverage_at_risk' END,
       t.to_status || ':' || t.participant_id || ':' || :today_s,
       {json}('last_paid', t.last_paid, 'unpaid_from', t.unpaid_from, 'through', CAST(:m_s AS VARCHAR(10)),
              'arrears_months', CAST(:arrears AS INTEGER), 'cause', t.cause),
       :now
FROM tmp_coverage t WHERE t.to_status IN ('in_arrears', 'ended')
ON CONFLICT DO NOTHING
"""


def last_due_month(today: date) -> date:
    month = today.replace(day=1)
    return month if due_date_for(month) <= today else add_months(month, -1)


def ends_on(unpaid_from: date, arrears_months: int) -> date:
    """The day these rules end a membership whose oldest unpaid month is ``unpaid_from`` if nothing more
    is paid: the due date of the month ``arrears_months`` later, when more than ``arrears_months``
    months are unpaid."""
    return due_date_for(add_months(unpaid_from, arrears_months))


def oldest_unpaid_ending_by(day: date, arrears_months: int) -> date:
    """The latest oldest unpaid month whose membership ends (``ends_on``) on or before ``day``: an oldest
    unpaid month ends by ``day`` exactly when it is no later than this one (due dates keep month order)."""
    return add_months(last_due_month(day), -arrears_months)


def evaluate(engine: Engine, today: date, arrears_months: int) -> dict[str, int]:
    """Apply the lapse rules to everyone as of ``today``; returns the number of changes by new status."""
    with engine.begin() as conn:
        return apply(conn, today, arrears_months)


def evaluate_participant(conn: Connection, participant_id: int, today: date, arrears_months: int) -> dict[str, int]:
    """The same rules for one participant, inside the caller's transaction (after a payment)."""
    return apply(conn, today, arrears_months, participant_id)


def apply(conn: Connection, today: date, arrears_months: int, participant_id: int | None = None) -> dict[str, int]:
    only = "" if participant_id is None else "AND p.id = :pid"
    m = last_due_month(today)
    first = conn.execute(
        text(f"SELECT MIN(p.membership_from) AS first FROM participant p WHERE {EVALUATED} {only}").columns(
            column("first", Date)
        ),
        {"pid": participant_id},
    ).scalar_one()
    months = _months(first, m)
    params = {
        "m": m,
        "m_idx": len(months) - 1,
        "today": today,
        "today_s": today.isoformat(),
        "now": utcnow(),
        "m_s": m.isoformat(),
        "arrears": arrears_months,
        "pid": participant_id,
    }
    conn.execute(text("DROP TABLE IF EXISTS tmp_coverage"))
    conn.execute(text("DROP TABLE IF EXISTS tmp_coverage_month"))
    conn.execute(
        text(
            "CREATE TEMP TABLE tmp_coverage (participant_id INTEGER PRIMARY KEY, from_status VARCHAR(12),"
            " to_status VARCHAR(12), cause VARCHAR(40), unpaid_from DATE, last_paid DATE)"
        )
    )
    conn.execute(
        text("CREATE TEMP TABLE tmp_coverage_month (idx INTEGER PRIMARY KEY, period DATE UNIQUE, next_period DATE)")
    )
    if conn.dialect.name == "postgresql":
        # Grouping every contribution by participant: in memory rather than spilled to disk in batches.
        conn.execute(text("SET LOCAL work_mem = '128MB'"))
    if months:
        conn.execute(
            text("INSERT INTO tmp_coverage_month (idx, period, next_period) VALUES (:idx, :period, :next)"),
            [{"idx": i, "period": p, "next": add_months(p, 1)} for i, p in enumerate(months)],
        )
        rows = _ROWS.format(evaluated=EVALUATED, only=only)
        targets = _TARGETS.format(covered=_COVERED, rows=rows, evaluated=EVALUATED, only=only)
        conn.execute(text(targets), params)
        for statement in _STATEMENTS:
            conn.execute(text(statement), params)
        conn.execute(text(_NOTICES.format(json=json_object(conn))), params)
    counts = dict(conn.execute(text("SELECT to_status, COUNT(*) FROM tmp_coverage GROUP BY to_status")).all())
    conn.execute(text("DROP TABLE tmp_coverage"))
    conn.execute(text("DROP TABLE tmp_coverage_month"))
    return {str(k): int(v) for k, v in counts.items()}


def _months(first: date | None, last: date) -> list[date]:
    """The first days of the months from ``first``'s through ``last``'s (none when ``first`` is later)."""
    out: list[date] = []
    month = None if first is None else first.replace(day=1)
    while month is not None and month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out
