"""Collecting sponsor invoices through the sponsor's mandate: one charge per invoice, on the mandate's
debit day (earlier months at once), through the same gateway adapter as the workers' debits.

Like the debit engine, on a scale of one row per sponsor rather than per worker:

- planning writes each attempt (a first charge, a retry due, or the rest of an invoice that grew) as
  ``pending``, with its unique key ``inv<invoice>-<n>``, before any call; the unique (invoice,
  attempt no) index makes planning twice plan nothing new;
- before the call the attempt is checked (``REASON``) under the invoice's lock and marked ``sent_at``;
  one that no longer holds is cancelled, and planned again when the reason allows;
- an attempt found sent but unresolved (a killed worker), or ``unknown``, is asked about at the gateway
  by its key: its outcome is taken; one the gateway never received is checked again and sent with the
  SAME key (or, after a day, cancelled and planned again with a new one);
- failures follow the failure taxonomy: transient ones are unknown (same key), soft ones are retried on
  the retry policy's day with a new key, hard ones stop and suspend the mandate."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from billing.debits.policy import RetryPolicy
from billing.gateways.base import ChargeRequest, ChargeResult, ChargeStatus, Gateway
from billing.gateways.failures import rule
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import post
from billing.mandates.service import suspend_for_failures
from billing.sponsors import invoices
from billing.sponsors.models import SponsorInvoice
from billing.timeutil import utcnow

KEY_LIFETIME = timedelta(hours=23)  # Stripe keeps a key 24 hours: a replay after that is a new charge
UNKNOWN_DELAY = timedelta(minutes=5)

# Cancelled for these, the invoice is charged again (new key) once its mandate is active.
RESCHEDULED = frozenset({"amount_changed", "mandate_inactive", "payment_method_changed", "gateway_never_received"})

_PLAN = f"""
INSERT INTO sponsor_invoice_attempt (invoice_id, mandate_id, attempt_no, amount, idempotency_key, gateway,
    payment_method, status, created_at)
SELECT i.id, m.id, i.last_no + 1, i.owed, 'inv' || i.id || '-' || (i.last_no + 1), m.gateway, m.payment_method,
    'pending', :now
FROM (SELECT i.id, i.sponsor_id, i.period, {invoices.OWED.format(i="i")} AS owed,
             (SELECT COALESCE(MAX(a.attempt_no), 0) FROM sponsor_invoice_attempt a WHERE a.invoice_id = i.id) AS last_no
      FROM sponsor_invoice i WHERE i.status = 'open') i
JOIN sponsor s ON s.id = i.sponsor_id AND s.status = 'active'
JOIN mandate m ON m.sponsor_id = i.sponsor_id AND m.status = 'active'
LEFT JOIN sponsor_invoice_attempt last ON last.invoice_id = i.id AND last.attempt_no = i.last_no
WHERE i.owed > 0 AND (
    (i.last_no = 0 AND (i.period < :month OR (i.period = :month AND m.debit_day <= :day)))
    OR (last.status IN ('failed', 'cancelled') AND last.next_retry_on <= :today)
    -- charged, then a member's month joined the open invoice: the rest is charged too
    OR last.status = 'succeeded')
ON CONFLICT (invoice_id, attempt_no) DO NOTHING
"""

# Why an attempt ``a`` of invoice ``i`` (sponsor ``s``, mandate ``m``) must not be sent; NULL when it may.
REASON = f"""CASE
    WHEN i.status <> 'open' THEN 'invoice_settled'
    WHEN s.status <> 'active' THEN 'sponsor_stopped'
    WHEN {invoices.OWED.format(i="i")} <> a.amount THEN 'amount_changed'
    WHEN m.payment_method <> a.payment_method OR m.gateway <> a.gateway THEN 'payment_method_changed'
    WHEN m.status <> 'active' THEN 'mandate_inactive'
END"""

_ATTEMPT = f"""
SELECT a.id, a.invoice_id, a.mandate_id, a.attempt_no, a.amount, a.idempotency_key, a.payment_method, a.status,
       a.sent_at, a.created_at, a.gateway_reference, i.period, {REASON} AS reason
FROM sponsor_invoice_attempt a
JOIN sponsor_invoice i ON i.id = a.invoice_id
JOIN sponsor s ON s.id = i.sponsor_id
JOIN mandate m ON m.id = a.mandate_id
WHERE a.id = :a
"""


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    invoice_id: int
    mandate_id: int
    attempt_no: int
    amount: int
    idempotency_key: str
    payment_method: str
    status: str
    sent_at: Any
    created_at: Any
    gateway_reference: str | None
    period: date
    reason: str | None

    def request(self) -> ChargeRequest:
        metadata = {"sponsor_invoice_id": str(self.invoice_id), "attempt_id": str(self.id)}
        return ChargeRequest(
            amount=self.amount,
            payment_method=self.payment_method,
            idempotency_key=self.idempotency_key,
            metadata=metadata,
        )


def plan(conn: Connection, today: date) -> int:
    """Write today's attempts: first charges of open invoices whose debit day has come, and retries due."""
    params = {"now": utcnow(), "month": today.replace(day=1), "day": today.day, "today": today}
    return int(conn.execute(text(_PLAN), params).rowcount)


def _load(conn: Connection, attempt_id: int) -> Attempt:
    row = conn.execute(text(_ATTEMPT), {"a": attempt_id}).one()
    period = row.period if isinstance(row.period, date) else date.fromisoformat(row.period)
    return Attempt(*row[:11], period, row.reason)  # type: ignore[misc]


def _cancel(conn: Connection, a: Attempt, reason: str, today: date) -> None:
    again = today if reason in RESCHEDULED else None
    conn.execute(
        text(
            "UPDATE sponsor_invoice_attempt SET status = 'cancelled', cancel_reason = :r, next_retry_on = :again,"
            " retry_at = NULL, resolved_at = :now WHERE id = :a AND status IN ('pending', 'unknown')"
        ),
        {"r": reason, "again": again, "now": utcnow(), "a": a.id},
    )


def _aged(created_at: Any, now: datetime) -> bool:
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=now.tzinfo)
    return bool(now - created_at >= KEY_LIFETIME)


def _checked(engine: Engine, attempt_id: int, today: date, now: datetime, replay: bool) -> Attempt | str:
    """Under the invoice's lock: the attempt if it may (still) be sent, marked sent; otherwise why not
    (``cancelled``, or ``busy`` when another process settled or sent it meanwhile)."""
    with engine.begin() as conn:
        a = _load(conn, attempt_id)
        invoices.lock(conn, a.invoice_id)
        a = _load(conn, attempt_id)
        if a.status not in ("pending", "unknown") or (not replay and a.sent_at is not None):
            return "busy"
        reason = a.reason or ("gateway_never_received" if replay and _aged(a.created_at, now) else None)
        if reason is not None:
            _cancel(conn, a, reason, today)
            return "cancelled"
        conn.execute(text("UPDATE sponsor_invoice_attempt SET sent_at = :now WHERE id = :a"), {"now": now, "a": a.id})
        return a


def process(engine: Engine, gateway: Gateway, attempt_id: int, policy: RetryPolicy, today: date, now: datetime) -> str:
    """Send, or settle, one attempt; returns its outcome, or ``cancelled`` or ``busy`` when it was not sent."""
    with engine.connect() as conn:
        a = _load(conn, attempt_id)
    result: ChargeResult | None = None
    if a.sent_at is not None or a.status == "unknown":
        # Maybe at the gateway already: its answer first, never a blind charge.
        result = gateway.lookup(a.idempotency_key, a.request().metadata)
        if result is not None and result.status is ChargeStatus.unknown and result.gateway_reference is None:
            result = None
    if result is None:
        checked = _checked(engine, attempt_id, today, now, replay=a.sent_at is not None)
        if isinstance(checked, str):
            return checked
        result = gateway.charge(checked.request())
    with engine.begin() as conn:
        invoices.lock(conn, a.invoice_id)
        return resolve(conn, _load(conn, attempt_id), result, today, policy, now)


def _status(result: ChargeResult) -> str:
    """A failure the gateway never processed (5xx, rate limit) is settled like an unknown: same key."""
    code = result.failure_code
    if result.status is ChargeStatus.failed and code is not None and rule(code).policy.same_key:
        return "unknown"
    return result.status.value


def resolve(conn: Connection, a: Attempt, result: ChargeResult, today: date, policy: RetryPolicy, now: datetime) -> str:
    """Write one outcome inside the caller's transaction (the invoice locked). An unsettled attempt takes
    any outcome, a failed or cancelled one only a late success; anything else changes nothing."""
    status = _status(result)
    code = result.failure_code.value if result.failure_code else None
    next_on: date | None = None
    retry_at: datetime | None = None
    if status == "failed":
        assert code is not None
        tries = conn.execute(
            text("SELECT COUNT(*) FROM sponsor_invoice_attempt WHERE invoice_id = :i AND status = 'failed'"),
            {"i": a.invoice_id},
        ).scalar_one()
        if rule(code).policy.retry:
            next_on = policy.next_retry(code, today, int(tries) + 1, a.period)
    elif status == "unknown":
        retry_at = now + (rule(code).retry_after if code and rule(code).retry_after else UNKNOWN_DELAY)
    changed = conn.execute(
        text(
            "UPDATE sponsor_invoice_attempt SET status = :st, failure_code = :code, next_retry_on = :next_on,"
            " retry_at = :retry_at, gateway_reference = COALESCE(:ref, gateway_reference),"
            " resolved_at = CASE WHEN :st = 'unknown' THEN NULL ELSE :now END"
            " WHERE id = :a AND (status IN ('pending', 'unknown')"
            " OR (:st = 'succeeded' AND status IN ('failed', 'cancelled')))"
        ),
        {
            "st": status,
            "code": code,
            "next_on": next_on,
            "retry_at": retry_at,
            "ref": result.gateway_reference,
            "now": now,
            "a": a.id,
        },
    ).rowcount
    if not changed:
        return "unchanged"
    if status == "succeeded":
        post(
            conn,
            f"invdebit:{a.id}",
            TransferKind.sponsor_debit,
            Account.gateway_clearing,
            Account.sponsor_receivable,
            a.amount,
            today,
        )
        invoice = _invoice(conn, a.invoice_id)
        # A late success for an invoice paid meanwhile stays unapplied: sponsor money finance gives back.
        invoices.receive(conn, invoice, a.amount, today, a.idempotency_key)
    elif status == "failed" and code is not None and rule(code).policy.suspend_mandate:
        suspend_for_failures(conn, [(a.mandate_id, code)], today)
    return status


def _invoice(conn: Connection, invoice_id: int) -> SponsorInvoice:
    row = conn.execute(text("SELECT id, sponsor_id, period FROM sponsor_invoice WHERE id = :i"), {"i": invoice_id})
    found = row.one()
    period = found.period if isinstance(found.period, date) else date.fromisoformat(found.period)
    return SponsorInvoice(id=found.id, sponsor_id=found.sponsor_id, period=period, member_count=0, total=0)


_WAITING = """
SELECT id FROM sponsor_invoice_attempt
WHERE status = 'pending' OR (status = 'unknown' AND retry_at <= :now)
ORDER BY id
"""


def collect(
    engine: Engine,
    gateway: Gateway,
    policy: RetryPolicy,
    today: date,
    now: datetime | None = None,
    plan_new: bool = True,
) -> dict[str, int]:
    """Plan today's invoice charges (unless ``plan_new`` is False), then send every pending attempt and
    settle every unknown one whose time has come by ``now``. Counts the outcomes; safe to run twice."""
    now = now or utcnow()
    if plan_new:
        with engine.begin() as conn:
            plan(conn, today)
    with engine.connect() as conn:
        waiting = [row.id for row in conn.execute(text(_WAITING), {"now": now})]
    counts: dict[str, int] = {}
    for attempt_id in waiting:
        outcome = process(engine, gateway, attempt_id, policy, today, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
