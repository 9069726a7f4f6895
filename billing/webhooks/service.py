"""Applying gateway events. Each is stored once (deliveries are at least once), then applied only when
it agrees with what it names; whatever becomes of it is kept on the event (``EventStatus``).

- A charge's outcome resolves the debit attempt through the debit engine's own ``resolve`` (a success
  the gateway reports after we gave up pays the month if still due, else becomes credit), but only
  when the event's PaymentIntent is the one we stored for the attempt (or, for the first word on it,
  one the gateway confirms carries the attempt's key) and its amount and currency are the attempt's.
  Anything else is refused from applying and left for finance to see.
- Refunds made at the gateway and disputes reverse the receipt of the charge they name; a dispute won
  gives the money back; our own refunds are settled when the gateway confirms them.
- An event naming a charge we do not know yet is kept ``pending`` and tried again by the settlement
  job, then ``unmatched``."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from sqlalchemy import Connection, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from billing.debits.policy import RetryPolicy
from billing.debits.resolve import ATTEMPT_COLUMNS, AttemptRow, resolve
from billing.gateways.base import EventKind, Gateway, GatewayError, WebhookEvent
from billing.mandates.service import suspend_for_failures
from billing.payments import refunds, reversals
from billing.timeutil import utcnow
from billing.webhooks.models import EventStatus, GatewayEvent
from billing.webhooks.schemas import WebhookReceipt

events = GatewayEvent.__table__  # type: ignore[attr-defined]
# A pending event is tried again for this long after it arrived, then it is unmatched.
PENDING_FOR = timedelta(days=3)

_ATTEMPT = f"""
SELECT {ATTEMPT_COLUMNS}, a.status, a.gateway_reference
FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
WHERE a.idempotency_key = :key
"""


@dataclass(frozen=True)
class Outcome:
    status: EventStatus
    attempt_id: int | None = None
    changed: bool = False
    problem: str | None = None


def _store(conn: Connection, gateway: str, event: WebhookEvent, payload: dict[str, object]) -> int | None:
    """The new row's id, or None when this event was stored before."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(events)
        .values(
            gateway=gateway,
            event_id=event.id,
            type=event.type,
            payload=payload,
            received_at=utcnow(),
            status=EventStatus.pending,
            tries=0,
        )
        .on_conflict_do_nothing(index_elements=["gateway", "event_id"])
        .returning(events.c.id)
    )
    return conn.execute(stmt).scalar()


def _attempt(conn: Connection, key: str) -> tuple[AttemptRow, str, str | None] | None:
    # Locked until commit on PostgreSQL: a worker resolving the same attempt waits, then sees it settled.
    lock = " FOR UPDATE OF a" if conn.dialect.name == "postgresql" else ""
    row = conn.execute(text(_ATTEMPT + lock), {"key": key}).first()
    if row is None:
        return None
    return AttemptRow._make(row[:8]), row.status, row.gateway_reference


def _attempt_of_charge(conn: Connection, gateway: Gateway, reference: str | None) -> tuple[AttemptRow, str] | None:
    """The attempt whose charge ``reference`` is: the gateway tells its key (attempts are found by key,
    the one index they have), and the attempt must know the charge by that reference."""
    if not reference:
        return None
    charge = gateway.retrieve(reference)
    if charge is None or not charge.idempotency_key:
        return None
    found = _attempt(conn, charge.idempotency_key)
    if found is None or found[2] != reference:
        return None
    return found[0], found[1]


def _outcome(conn: Connection, gateway: Gateway, event: WebhookEvent, today: date, policy: RetryPolicy) -> Outcome:
    if not event.idempotency_key:
        return Outcome(EventStatus.ignored, problem="no idempotency key of ours: not a charge of this service")
    found = _attempt(conn, event.idempotency_key)
    if found is None:
        return Outcome(EventStatus.pending, problem=f"no attempt with key {event.idempotency_key} yet")
    attempt, _status, reference = found
    if reference is not None and event.gateway_reference != reference:
        return Outcome(
            EventStatus.refused,
            attempt.id,
            problem=f"names {event.gateway_reference}, the attempt's charge is {reference}",
        )
    if event.amount != attempt.amount or (event.currency or "").upper() != "IDR":
        return Outcome(
            EventStatus.refused,
            attempt.id,
            problem=f"{event.amount} {event.currency} is not the attempt's {attempt.amount} IDR",
        )
    if reference is None:
        # The first word on this attempt: the gateway must confirm the charge is ours.
        charge = gateway.retrieve(event.gateway_reference) if event.gateway_reference else None
        if charge is None or charge.idempotency_key != attempt.idempotency_key or charge.amount != attempt.amount:
            return Outcome(
                EventStatus.refused, attempt.id, problem=f"the gateway has no charge {event.gateway_reference} of ours"
            )
    counts = resolve(conn, [attempt], [event.result], today, policy)
    return Outcome(EventStatus.applied, attempt.id, changed=counts["changed"] > 0)


def _has_receipt(conn: Connection, attempt_id: int) -> bool:
    return (
        conn.execute(text("SELECT 1 FROM ledger_transfer WHERE key = :k"), {"k": f"debit:{attempt_id}"}).first()
        is not None
    )


def _reversal(conn: Connection, gateway: Gateway, event: WebhookEvent, row_id: int, today: date) -> Outcome:
    """A refund or a dispute of a charge: the books are made to agree with the charge as the gateway
    records it now, so duplicates and any order of delivery end the same."""
    found = _attempt_of_charge(conn, gateway, event.gateway_reference)
    if found is None:
        return Outcome(EventStatus.pending, problem=f"no charge of ours is {event.gateway_reference} yet")
    attempt, _status = found
    if not _has_receipt(conn, attempt.id):
        # Its success has not reached our books yet (its own event or answer is still to come).
        return Outcome(EventStatus.pending, attempt.id, problem=f"attempt {attempt.id} has no receipt yet")
    assert event.gateway_reference is not None
    moved = reversals.sync(conn, gateway, attempt.id, event.gateway_reference, today, row_id)
    if event.kind is EventKind.dispute_opened and moved > 0:
        suspend_for_failures(conn, [(attempt.mandate_id, "disputed")], today)
    return Outcome(EventStatus.applied, attempt.id, changed=moved != 0)


def _refund_update(session: Session, gateway: Gateway, event: WebhookEvent, row_id: int, today: date) -> Outcome:
    refund = refunds.by_key(session, event.refund_key, event.object_id)
    if refund is None:  # made at the gateway: the charge tells what it took
        return _reversal(session.connection(), gateway, event, row_id, today)
    assert event.refund_status is not None
    changed = refunds.settle(session, refund, event.refund_status, event.object_id, None, today)
    return Outcome(EventStatus.applied, refund.attempt_id, changed=changed)


def apply(
    session: Session, gateway: Gateway, event: WebhookEvent, row_id: int, today: date, policy: RetryPolicy
) -> Outcome:
    conn = session.connection()
    try:
        if event.kind is EventKind.outcome:
            return _outcome(conn, gateway, event, today, policy)
        if event.kind in (EventKind.refunded, EventKind.dispute_opened, EventKind.dispute_won, EventKind.dispute_lost):
            return _reversal(conn, gateway, event, row_id, today)
        if event.kind is EventKind.refund_updated:
            return _refund_update(session, gateway, event, row_id, today)
    except GatewayError as exc:
        # The gateway could not be asked about the charge: try again later.
        return Outcome(EventStatus.pending, problem=f"could not ask the gateway: {exc}"[:200])
    return Outcome(EventStatus.ignored)


def _record(conn: Connection, row_id: int, outcome: Outcome) -> None:
    conn.execute(
        update(events)
        .where(events.c.id == row_id)
        .values(
            status=outcome.status,
            problem=outcome.problem,
            attempt_id=outcome.attempt_id,
            applied_at=utcnow() if outcome.status is EventStatus.applied else None,
            tries=events.c.tries + 1,
        )
    )


def receive(
    session: Session,
    gateway_name: str,
    gateway: Gateway,
    event: WebhookEvent,
    payload: dict[str, object],
    today: date,
    policy: RetryPolicy,
) -> WebhookReceipt:
    """In the caller's transaction: the event is stored and applied together, or neither (the gateway
    redelivers)."""
    conn = session.connection()
    row_id = _store(conn, gateway_name, event, payload)
    if row_id is None:
        return WebhookReceipt(duplicate=True, attempt_id=None, changed=False, status=None)
    outcome = apply(session, gateway, event, row_id, today, policy)
    _record(conn, row_id, outcome)
    return WebhookReceipt(
        duplicate=False,
        attempt_id=outcome.attempt_id,
        changed=outcome.changed,
        status=outcome.status,
        problem=outcome.problem,
    )


def retry_pending(
    session: Session,
    gateway_name: str,
    gateway: Gateway,
    parse: Callable[[dict[str, Any]], WebhookEvent],
    today: date,
    policy: RetryPolicy,
) -> int:
    """Apply again the events still pending (their charge was not known yet); those pending for longer
    than ``PENDING_FOR`` become unmatched. Returns how many were applied now."""
    conn = session.connection()
    rows = session.exec(
        select(GatewayEvent)
        .where(GatewayEvent.gateway == gateway_name, GatewayEvent.status == EventStatus.pending)
        .order_by(col(GatewayEvent.id))
    ).all()
    applied = 0
    for row in rows:
        assert row.id is not None
        outcome = apply(session, gateway, parse(row.payload), row.id, today, policy)
        received = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=UTC)
        if outcome.status is EventStatus.pending and utcnow() - received > PENDING_FOR:
            outcome = Outcome(EventStatus.unmatched, outcome.attempt_id, problem=outcome.problem)
        _record(conn, row.id, outcome)
        applied += outcome.status is EventStatus.applied
    return applied
