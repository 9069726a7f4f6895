"""Applying gateway events: store each event once, then resolve the debit attempt it names through
the debit engine's own ``resolve``, so contributions, the ledger and the retry schedule change
exactly as if the charge had answered. Only unsettled attempts change: a ``processing`` that
arrives after ``succeeded``, or any duplicate, changes nothing, whatever the order of delivery."""

from datetime import date

from sqlalchemy import Connection, Engine, text, update
from sqlalchemy.dialects import postgresql, sqlite

from billing.debits.policy import RetryPolicy
from billing.debits.resolve import ATTEMPT_COLUMNS, AttemptRow, resolve
from billing.gateways.base import WebhookEvent
from billing.gateways.stripe.intents import INTENT_EVENTS
from billing.timeutil import utcnow
from billing.webhooks.models import GatewayEvent
from billing.webhooks.schemas import WebhookReceipt

events = GatewayEvent.__table__  # type: ignore[attr-defined]

_ATTEMPT = f"""
SELECT {ATTEMPT_COLUMNS} FROM debit_attempt a
WHERE a.idempotency_key = :key AND a.status IN ('pending', 'unknown')
"""


def _store(conn: Connection, gateway: str, event: WebhookEvent, payload: dict[str, object]) -> int | None:
    """The new row's id, or None when this event was stored before."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(events)
        .values(gateway=gateway, event_id=event.id, type=event.type, payload=payload, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["gateway", "event_id"])
        .returning(events.c.id)
    )
    return conn.execute(stmt).scalar()


def _attempt_id(conn: Connection, key: str) -> int | None:
    return conn.execute(text("SELECT id FROM debit_attempt WHERE idempotency_key = :k"), {"k": key}).scalar()


def _unsettled(conn: Connection, key: str) -> AttemptRow | None:
    # Locked until commit on PostgreSQL: a worker resolving the same attempt waits, then finds it settled.
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    row = conn.execute(text(_ATTEMPT + lock), {"key": key}).first()
    return AttemptRow(**row._mapping) if row is not None else None


def receive(
    engine: Engine, gateway: str, event: WebhookEvent, payload: dict[str, object], today: date, policy: RetryPolicy
) -> WebhookReceipt:
    """One transaction: the event is stored and applied together, or neither (the gateway redelivers)."""
    with engine.begin() as conn:
        row_id = _store(conn, gateway, event, payload)
        if row_id is None:
            return WebhookReceipt(duplicate=True, attempt_id=None, changed=False)
        if event.type not in INTENT_EVENTS or not event.idempotency_key:
            return WebhookReceipt(duplicate=False, attempt_id=None, changed=False)
        attempt_id = _attempt_id(conn, event.idempotency_key)
        if attempt_id is None:
            return WebhookReceipt(duplicate=False, attempt_id=None, changed=False)
        attempt = _unsettled(conn, event.idempotency_key)
        if attempt is not None:
            resolve(conn, [attempt], [event.result], today, policy)
        conn.execute(update(events).where(events.c.id == row_id).values(applied_at=utcnow()))
        return WebhookReceipt(duplicate=False, attempt_id=attempt_id, changed=attempt is not None)
