"""Settling unknown outcomes (timeouts, transient gateway errors, debits still processing), killbill's
Janitor: ask the gateway first, never charge blindly.

- A charge the gateway holds (it gave us its id: a ``processing`` bank debit) is read by that id
  until it ends; it is never sent again (a POST after Stripe's 24 hours of idempotency would be a
  new charge).
- Otherwise the gateway is searched by the idempotency key (``lookup``). If it has the charge, its
  outcome is resolved. If it never received it, the attempt is checked again (``guards``): one that no
  longer holds is cancelled; one that does is sent again with the SAME key, as long as the key is
  younger than a day; after that it is cancelled and its month planned again with a new key."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import DateTime, Engine, bindparam, text

from billing import metrics
from billing.debits import guards
from billing.debits.execution import charge_metadata, charge_requests
from billing.debits.policy import RetryPolicy
from billing.debits.resolve import ATTEMPT_COLUMNS, AttemptRow, resolve
from billing.gateways.base import ChargeResult, ChargeStatus, Gateway
from billing.timeutil import utcnow

# Stripe keeps an idempotency key 24 hours: replays stop well before, counted from the attempt's
# creation (which is before its first send).
KEY_LIFETIME = timedelta(hours=23)
# A processing debit is read again after 5 min, 10, 20 … at most every 6 hours.
FIRST_CHECK, LONGEST_CHECK = timedelta(minutes=5), timedelta(hours=6)

_UNSETTLED = f"""
SELECT {ATTEMPT_COLUMNS}, a.gateway_reference, a.created_at, u.checks
FROM debit_unsettled u
JOIN debit_attempt a ON a.id = u.attempt_id
JOIN contribution c ON c.id = a.contribution_id
WHERE u.retry_at <= :now AND a.status = 'unknown'
ORDER BY u.retry_at, a.id
LIMIT :limit
"""

_REASONS = f"SELECT a.id, {guards.REASON} AS reason FROM {guards.GUARDED_FROM} WHERE a.id IN :ids"


@dataclass(frozen=True, slots=True)
class Unsettled:
    attempt: AttemptRow
    reference: str | None
    created_at: datetime
    checks: int


def _unsettled(engine: Engine, now: datetime, limit: int) -> list[Unsettled]:
    with engine.connect() as conn:
        query = text(_UNSETTLED).columns(created_at=DateTime(timezone=True))
        rows = conn.execute(query, {"now": now, "limit": limit}).all()
    out = []
    for row in rows:
        # SQLite keeps timestamps without their zone: they were written in UTC.
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        out.append(Unsettled(AttemptRow._make(row[:8]), row.gateway_reference, created, row.checks))
    return out


def _ask(gateway: Gateway, u: Unsettled) -> ChargeResult | None:
    """What the gateway says of the attempt; None when it never received it."""
    if u.reference:
        found = gateway.retrieve(u.reference)
        if found is not None:
            return found.result
    return gateway.lookup(u.attempt.idempotency_key, charge_metadata(u.attempt))


def settle(
    engine: Engine, gateway: Gateway, policy: RetryPolicy, today: date, now: datetime | None = None, limit: int = 1000
) -> dict[str, int]:
    """Settle the unknown attempts whose time has come by ``now`` (the simulation passes a later one)."""
    now = now or utcnow()
    due = _unsettled(engine, now, limit)
    answered: list[tuple[AttemptRow, ChargeResult]] = []
    waiting: list[Unsettled] = []
    unseen: list[Unsettled] = []
    for u in due:
        found = _ask(gateway, u)
        if found is None or (found.status is ChargeStatus.unknown and found.gateway_reference is None):
            unseen.append(u)
        elif found.status is ChargeStatus.unknown:
            waiting.append(u)  # the gateway holds it, still processing
        else:
            answered.append((u.attempt, found))
    cancelled: list[tuple[int, str]] = []
    replay: list[AttemptRow] = []
    if unseen:
        with engine.connect() as conn:
            stmt = text(_REASONS).bindparams(bindparam("ids", expanding=True))
            reasons = dict(conn.execute(stmt, {"ids": [u.attempt.id for u in unseen]}).all())
        for u in unseen:
            reason = reasons.get(u.attempt.id)
            if reason is None and now - u.created_at >= KEY_LIFETIME:
                reason = guards.CancelReason.gateway_never_received
            if reason is None:
                replay.append(u.attempt)
            else:
                cancelled.append((u.attempt.id, reason))
    if replay:
        answered += zip(replay, [gateway.charge(r) for r in charge_requests(replay)], strict=True)
    with engine.begin() as conn:
        counts = resolve(conn, [a for a, _ in answered], [r for _, r in answered], today, policy, now)
        if cancelled:
            ids = [aid for aid, _ in cancelled]
            guards.cancel(conn, cancelled, today, status="unknown")
            conn.execute(
                text("DELETE FROM debit_unsettled WHERE attempt_id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
        for u in waiting:
            delay = min(FIRST_CHECK * 2**u.checks, LONGEST_CHECK)
            conn.execute(
                text("UPDATE debit_unsettled SET retry_at = :at, checks = checks + 1 WHERE attempt_id = :a"),
                {"at": now + delay, "a": u.attempt.id},
            )
    metrics.count_results([r for _, r in answered], [a.amount for a, _ in answered])
    counts["cancelled"] = len(cancelled)
    counts["waiting"] = len(waiting)
    return counts
