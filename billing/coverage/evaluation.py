"""Daily lapse evaluation, set-based. A month is covered when its contribution is paid (or waived).
With M the latest month whose due date has passed and L the last covered month:
L >= M → active; 1..``arrears_months`` unpaid months → in arrears; more → membership ended.
Every change is written as a coverage event with its cause, and a notice to the worker."""

from datetime import date

from sqlalchemy import Engine, text

from billing.contributions.due_dates import due_date_for
from billing.notices.service import json_object
from billing.timeutil import add_months, utcnow

_TARGETS = """
INSERT INTO tmp_coverage (participant_id, from_status, to_status, last_paid)
SELECT p.id, p.status,
       CASE WHEN lp.last_paid >= :m THEN 'active'
            WHEN lp.last_paid >= :t THEN 'in_arrears'
            WHEN lp.last_paid IS NOT NULL THEN 'ended'
            WHEN p.enrolled_on < :enrolled_cut THEN 'ended'
            ELSE p.status END,
       lp.last_paid
FROM participant p
LEFT JOIN (SELECT participant_id, MAX(period) AS last_paid FROM contribution
           WHERE status IN ('paid', 'waived') GROUP BY participant_id) lp ON lp.participant_id = p.id
WHERE p.status NOT IN ('ended', 'cancelled')
  AND p.id NOT IN (SELECT participant_id FROM tmp_coverage)
"""

# The failure behind a lapse: the latest failed debit of the participant, else a revoked mandate,
# else "no_payment" (no mandate, or never debited).
_CAUSE = """
COALESCE(
  (SELECT a.failure_code FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
   WHERE c.participant_id = t.participant_id AND a.status = 'failed' ORDER BY a.id DESC LIMIT 1),
  (SELECT 'mandate_revoked' FROM mandate m WHERE m.participant_id = t.participant_id AND m.status = 'revoked'
   LIMIT 1),
  'no_payment')
"""

_KIND = """
CASE WHEN t.cause = 'sponsor_stopped' THEN 'sponsor_stopped'
     WHEN t.to_status = 'ended' THEN 'ended'
     WHEN t.to_status = 'in_arrears' THEN 'entered_arrears'
     WHEN t.from_status = 'in_arrears' THEN 'recovered'
     ELSE 'activated' END
"""

_STATEMENTS = (
    "DELETE FROM tmp_coverage WHERE to_status = from_status",
    f"UPDATE tmp_coverage SET cause = {_CAUSE.replace('t.participant_id', 'tmp_coverage.participant_id')} "
    "WHERE to_status IN ('in_arrears', 'ended') AND cause IS NULL",
    f"""INSERT INTO coverage_event (participant_id, occurred_on, kind, from_status, to_status, cause, created_at)
        SELECT t.participant_id, :today, {_KIND}, t.from_status, t.to_status, t.cause, :now FROM tmp_coverage t""",
    """UPDATE participant SET status = t.to_status FROM tmp_coverage t WHERE participant.id = t.participant_id""",
)

# The params are what billing.notices.texts renders: the unpaid months (after last_paid, through the
# latest due month), the deadline (arrears_months after last_paid) and the cause.
_NOTICES = """
INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)
SELECT t.participant_id,
       CASE WHEN t.to_status = 'ended' THEN 'coverage_ended' ELSE 'coverage_at_risk' END,
       t.to_status || ':' || t.participant_id || ':' || :today_s,
       {json}('last_paid', t.last_paid, 'through', CAST(:m_s AS VARCHAR(10)),
              'arrears_months', CAST(:arrears AS INTEGER), 'cause', t.cause),
       :now
FROM tmp_coverage t WHERE t.to_status IN ('in_arrears', 'ended')
ON CONFLICT DO NOTHING
"""

# Stopping a sponsor closes its memberships on the stop date (sponsors.service.stop): those are the
# members it left behind (one that left earlier had moved on). Only a member whose coverage has not
# changed since the stop is ended: a later event (a reactivation) means the stop was dealt with.
_SPONSOR_STOPPED = """
INSERT INTO tmp_coverage (participant_id, from_status, to_status, cause)
SELECT DISTINCT p.id, p.status, 'ended', 'sponsor_stopped'
FROM participant p
JOIN sponsor_member sm ON sm.participant_id = p.id
JOIN sponsor s ON s.id = sm.sponsor_id AND s.status = 'stopped' AND s.stopped_on <= :today
WHERE p.status NOT IN ('ended', 'cancelled') AND (sm.left_on IS NULL OR sm.left_on >= s.stopped_on)
  AND NOT EXISTS (SELECT 1 FROM coverage_event e WHERE e.participant_id = p.id AND e.occurred_on >= s.stopped_on)
"""


def last_due_month(today: date) -> date:
    month = today.replace(day=1)
    return month if due_date_for(month) <= today else add_months(month, -1)


def evaluate(engine: Engine, today: date, arrears_months: int) -> dict[str, int]:
    """Apply the lapse rules as of ``today``; returns the number of changes by new status."""
    m = last_due_month(today)
    t = add_months(m, -arrears_months)
    params = {
        "m": m,
        "t": t,
        "enrolled_cut": add_months(t, 1),
        "today": today,
        "today_s": today.isoformat(),
        "now": utcnow(),
        "m_s": m.isoformat(),
        "arrears": arrears_months,
    }
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS tmp_coverage"))
        conn.execute(
            text(
                "CREATE TEMP TABLE tmp_coverage (participant_id INTEGER PRIMARY KEY, from_status VARCHAR(12),"
                " to_status VARCHAR(12), cause VARCHAR(40), last_paid DATE)"
            )
        )
        # A sponsor that stopped paying ends its members' coverage first, with that cause.
        conn.execute(text(_SPONSOR_STOPPED), params)
        conn.execute(text(_TARGETS), params)
        for statement in _STATEMENTS:
            conn.execute(text(statement), params)
        conn.execute(text(_NOTICES.format(json=json_object(conn))), params)
        counts = dict(conn.execute(text("SELECT to_status, COUNT(*) FROM tmp_coverage GROUP BY to_status")).all())
        conn.execute(text("DROP TABLE tmp_coverage"))
    return {str(k): int(v) for k, v in counts.items()}
