"""Planning a debit run: set-based SQL, the same on SQLite and PostgreSQL.

Two INSERT ... SELECT statements per contribution id range write every attempt due today as
``pending``, with its idempotency key (``ct<contribution>-<attempt no>``):

- first attempts: due, self-paid contributions of members (not ended or cancelled: paying after
  that is a new registration) with an active mandate whose debit day has come (this month's on the
  debit day, earlier months' at once);
- retries: contributions whose failed debit was rescheduled for today or earlier (also those whose
  attempt was cancelled before it was sent, e.g. for a new payment method).

Each asks for what the month still owes (its credit applied first, see ``start_debit_run``).

No anti-join is needed: the unique (contribution, attempt no) index turns an attempt that already
exists into a skipped row (``ON CONFLICT ... DO NOTHING``), so planning twice, or after a crash, plans
nothing new. The conflict target names that index alone: the key is made of the same two numbers, so
it cannot clash on its own, and a bare ``ON CONFLICT`` would probe every unique index of every row.
Each range's attempts are cut into batches that workers claim as soon as the range commits."""

from datetime import date

from sqlalchemy import Engine, text

from billing.debits import runs
from billing.debits.models import RunStatus
from billing.timeutil import utcnow

_INSERT = """
INSERT INTO debit_attempt
    (run_id, contribution_id, mandate_id, attempt_no, trigger, amount, idempotency_key, gateway,
     payment_method, status, created_at)
"""

_FIRST = (
    _INSERT
    + """
SELECT :run_id, c.id, m.id, 1, 'scheduled', c.amount_due - c.amount_paid, 'ct' || c.id || '-1', m.gateway,
       m.payment_method,
       'pending', :now
FROM contribution c
JOIN mandate m ON m.participant_id = c.participant_id AND m.status = 'active'
JOIN participant p ON p.id = c.participant_id AND p.status IN ('registered', 'active', 'in_arrears')
WHERE c.status = 'due' AND c.payer = 'self'
  AND (c.period < :month OR (c.period = :month AND m.debit_day <= :day))
  AND c.id > :lo AND c.id <= :hi
ON CONFLICT (contribution_id, attempt_no) DO NOTHING
"""
)

_RETRIES = (
    _INSERT
    + """
SELECT :run_id, c.id, m.id, s.attempts + 1, 'retry', c.amount_due - c.amount_paid,
       'ct' || c.id || '-' || (s.attempts + 1), m.gateway, m.payment_method, 'pending', :now
FROM debit_schedule s
JOIN contribution c ON c.id = s.contribution_id
JOIN mandate m ON m.participant_id = c.participant_id AND m.status = 'active'
JOIN participant p ON p.id = c.participant_id AND p.status IN ('registered', 'active', 'in_arrears')
WHERE s.next_debit_on <= :today AND c.status = 'due' AND s.contribution_id > :lo AND s.contribution_id <= :hi
ON CONFLICT (contribution_id, attempt_no) DO NOTHING
"""
)

# One batch per ``size`` ids of the chunk's attempts (consecutive but for a skipped conflict's gap),
# each an index range. Numbering the chunk's rows instead sorted them twice, spilling to disk, and
# scanned every earlier chunk's attempts (the statistics were taken on an empty table): at a million
# mandates 8 s, beside 52 s for the chunks' inserts.
_BATCH = """
INSERT INTO debit_batch (run_id, first_attempt_id, last_attempt_id, size, status, claims)
SELECT :run_id, MIN(id), MAX(id), COUNT(*), 'queued', 0
FROM debit_attempt WHERE id BETWEEN :lo AND :hi AND run_id = :run_id
GROUP BY run_id
"""


def _plan_chunk(engine: Engine, run_id: int, today: date, batch_size: int, chunk: int) -> bool:
    """Plan the next contribution id range of the run in one transaction; False when nothing is left."""
    with engine.begin() as conn:
        if not runs.try_lock(conn, run_id) or runs.status_of(conn, run_id) is not RunStatus.planning:
            return False
        if conn.dialect.name == "postgresql":
            # A chunk is a slice of the contributions, yet PostgreSQL would hash it and scan all of
            # mandate and participant for each one: with index lookups a chunk costs its own size only
            # (at a million mandates, a third of the planning time).
            conn.execute(text("SET LOCAL enable_hashjoin = off"))
            conn.execute(text("SET LOCAL enable_mergejoin = off"))
        lo = conn.execute(text("SELECT planned_through FROM job_run WHERE id = :r"), {"r": run_id}).scalar_one()
        top = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM contribution")).scalar_one()
        if lo >= top:
            planned = conn.execute(
                text("SELECT COALESCE(SUM(size), 0) FROM debit_batch WHERE run_id = :r"), {"r": run_id}
            ).scalar_one()
            runs.set_status(conn, run_id, RunStatus.running, planned=planned)
            runs.complete_if_done(conn, run_id)
            return False
        hi = lo + chunk
        # This chunk's attempts get ids above today's highest: batches are cut from there by range.
        after = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM debit_attempt")).scalar_one()
        params = {
            "run_id": run_id,
            "today": today,
            "month": today.replace(day=1),
            "day": today.day,
            "now": utcnow(),
            "lo": lo,
            "hi": hi,
        }
        conn.execute(text(_FIRST), params)
        conn.execute(text(_RETRIES), params)
        last = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM debit_attempt")).scalar_one()
        ranges = [
            {"run_id": run_id, "lo": lo, "hi": min(lo + batch_size - 1, last)}
            for lo in range(after + 1, last + 1, batch_size)
        ]
        if ranges:
            conn.execute(text(_BATCH), ranges)
        conn.execute(text("UPDATE job_run SET planned_through = :hi WHERE id = :r"), {"hi": hi, "r": run_id})
        return True


def plan(engine: Engine, run_id: int, today: date, batch_size: int, chunk: int = 100_000) -> None:
    """Plan the run chunk by chunk, each committed at once so that workers can start on it. Several
    planners may call this together: the run's lock hands each chunk to one of them. The first chunk
    is a few batches only, and each next one twice the last up to ``chunk``: while the workers charge
    one chunk the next is planned, so they wait for nothing but the first (a full second chunk took
    longer to plan than the first took to charge, and the workers waited)."""
    size = min(chunk, 4 * batch_size)
    while _plan_chunk(engine, run_id, today, batch_size, size):
        size = min(chunk, 2 * size)
