"""Settling unknown outcomes (timeouts, transient gateway errors): ask the gateway what happened to
the key (``lookup``); if it never saw it, replay the SAME key. Never a new key, never a second charge."""

from datetime import date, datetime

from sqlalchemy import Engine

from billing.debits.execution import charge_requests, load_attempts
from billing.debits.policy import RetryPolicy
from billing.debits.resolve import ATTEMPT_COLUMNS, resolve
from billing.gateways.base import ChargeResult, ChargeStatus, Gateway
from billing.timeutil import utcnow

_UNSETTLED = f"""
SELECT {ATTEMPT_COLUMNS}
FROM debit_unsettled u
JOIN debit_attempt a ON a.id = u.attempt_id
WHERE u.retry_at <= :now
ORDER BY u.retry_at, a.id
LIMIT :limit
"""


def settle(
    engine: Engine, gateway: Gateway, policy: RetryPolicy, today: date, now: datetime | None = None, limit: int = 1000
) -> dict[str, int]:
    """Settle the unknown attempts whose retry time has come by ``now`` (the simulation passes a later one)."""
    attempts = load_attempts(engine, _UNSETTLED, {"now": now or utcnow(), "limit": limit})
    results: list[ChargeResult] = []
    for attempt, request in zip(attempts, charge_requests(attempts), strict=True):
        found = gateway.lookup(attempt.idempotency_key, request.metadata)
        if found is None or found.status is ChargeStatus.unknown:
            found = gateway.charge(request)
        results.append(found)
    with engine.begin() as conn:
        return resolve(conn, attempts, results, today, policy)
