"""Planning a debit run: set-based SQL, the same on SQLite and PostgreSQL.

Two INSERT ... SELECT statements write every attempt due today as ``pending``, with its idempotency
key (``ct<contribution>-<attempt no>``):

- first attempts: due, self-paid contributions of participants with an active mandate whose debit
  day has come (this month's on the debit day, earlier months' at once);
- retries: contributions whose failed debit was rescheduled for today or earlier.

No anti-join is needed: the unique (contribution, attempt no) index turns an attempt that already
exists into a skipped row (``ON CONFLICT DO NOTHING``), so planning twice, or after a crash, plans
nothing new. The attempts are then cut into batches that workers claim."""

from datetime import date

from sqlalchemy import Engine, text

from billing.debits import runs
from billing.debits.models import RunStatus
from billing.timeutil import utcnow

_INSERT = """
INSERT INTO debit_attempt
    (run_id, contribution_id, mandate_id, attempt_no, trigger, amount, idempotency_key, gateway, status,
     created_at)
"""

_FIRST = (
    _INSERT
    + """
SELECT :run_id, c.id, m.id, 1, 'scheduled', c.amount_due, 'ct' || c.id || '-1', m.gateway, 'pending', :now
FROM contribution c
JOIN mandate m ON m.participant_id = c.participant_id AND m.status = 'active'
WHERE c.status = 'due' AND c.payer = 'self'
  AND (c.period < :month OR (c.period = :month AND m.debit_day <= :day))
ORDER BY c.id
ON CONFLICT DO NOTHING
"""
)

_RETRIES = (
    _INSERT
    + """
SELECT :run_id, c.id, m.id, s.attempts + 1, 'retry', c.amount_due, 'ct' || c.id || '-' || (s.attempts + 1),
       m.gateway, 'pending', :now
FROM debit_schedule s
JOIN contribution c ON c.id = s.contribution_id
JOIN mandate m ON m.participant_id = c.participant_id AND m.status = 'active'
WHERE s.next_debit_on <= :today AND c.status = 'due'
ORDER BY c.id
ON CONFLICT DO NOTHING
"""
)

_BATCHES = """
INSERT INTO debit_batch (run_id, first_attempt_id, last_attempt_id, size, status, claims)
SELECT :run_id, MIN(id), MAX(id), COUNT(*), 'queued', 0
FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / :size AS b
      FROM debit_attempt WHERE run_id = :run_id AND id > :after) t
GROUP BY b
"""


def plan(engine: Engine, run_id: int, today: date, batch_size: int) -> int | None:
    """Plan the run if nobody has; returns the number of attempts planned, None if not planned here."""
    with engine.begin() as conn:
        if not runs.try_lock(conn, run_id) or runs.status_of(conn, run_id) is not RunStatus.planning:
            return None
        params = {"run_id": run_id, "today": today, "month": today.replace(day=1), "day": today.day, "now": utcnow()}
        conn.execute(text(_FIRST), params)
        conn.execute(text(_RETRIES), params)
        # A planner killed after some batches were written resumes after the last batched attempt.
        after = conn.execute(
            text("SELECT COALESCE(MAX(last_attempt_id), 0) FROM debit_batch WHERE run_id = :r"), {"r": run_id}
        ).scalar_one()
        conn.execute(text(_BATCHES), {"run_id": run_id, "size": batch_size, "after": after})
        planned = conn.execute(text("SELECT COUNT(*) FROM debit_attempt WHERE run_id = :r"), {"r": run_id}).scalar_one()
        runs.set_status(conn, run_id, RunStatus.running if planned else RunStatus.completed, planned=planned)
        return int(planned)
