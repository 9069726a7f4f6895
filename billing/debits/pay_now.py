"""A worker's "pay now": the arrears, or the next 1-12 months, in one charge through the gateway on the
payment method of their mandate, the receipt at once.

The charge is a debit attempt (``trigger`` manual) of the day's ``payment`` run, on the oldest month
it pays, for the sum of the months, so its money takes the debits' own path: the resolver pays the
month, and what is more than that month owes is the participant's credit, which pays the next months
oldest first (``billing.payments.credit``) in the same transaction; refunds, reversals, webhooks,
settlement of an unknown outcome and ``billing ledger verify`` know it like any debit.

Its idempotency key is made from the form's nonce (``pay<participant>-<nonce>``): the attempt is
written, with the key, before the gateway is called, and a second submission of the same form finds
the same attempt and, if it is not settled yet, sends the same key again, which the gateway answers
with the first outcome. A double tap charges once.

Before it is sent it is checked as a worker checks a batch (``guards``): a month paid meanwhile, a
mandate no longer active or on another method, a membership ended: it is cancelled, never sent.
Months whose debit the gateway holds now are refused (409 ``debit_in_flight``): paying them twice
would only make credit."""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, bindparam, func, text
from sqlmodel import Session, col, select

from billing.contributions import service as contributions
from billing.contributions.models import Contribution
from billing.coverage.evaluation import evaluate_participant
from billing.db import lock_rows
from billing.debits import guards, runs
from billing.debits.execution import charge_metadata
from billing.debits.models import AttemptStatus, AttemptTrigger, DebitAttempt, DebitSchedule, OneOffPayment, RunKind
from billing.debits.policy import from_settings as retry_policy
from billing.debits.resolve import ATTEMPT_COLUMNS, AttemptRow, resolve
from billing.errors import Conflict, InvalidInput, NotFound
from billing.gateways.base import ChargeRequest, Gateway
from billing.mandates.models import Mandate, MandateStatus
from billing.participants import service as participants
from billing.settings import Settings
from billing.timeutil import parse_period

NONCE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


@dataclass(frozen=True)
class PayAsk:
    participant_id: int
    months: int | None  # None: the arrears (the months already due)
    nonce: str  # the form's: the same form submitted twice is one payment
    ip: str | None


def key_of(participant_id: int, nonce: str) -> str:
    return f"pay{participant_id}-{nonce}"


# Attempts of these months that the gateway may hold now: unknown, or pending in a batch handed to it.
_IN_FLIGHT = """
SELECT a.contribution_id FROM debit_attempt a
LEFT JOIN debit_batch b ON b.run_id = a.run_id AND a.id BETWEEN b.first_attempt_id AND b.last_attempt_id
JOIN job_run r ON r.id = a.run_id
WHERE a.contribution_id IN :cids
  AND (a.status = 'unknown' OR (a.status = 'pending' AND (b.sent_at IS NOT NULL OR r.kind = 'payment')))
"""


def refuse_in_flight(session: Session, chosen: list[Contribution]) -> None:
    """409 ``debit_in_flight`` when the gateway may hold a debit of one of these months now: paying them
    again (by a charge, or in cash to an agent) would only make credit."""
    ids = [c.id for c in chosen if c.id is not None]
    stmt = text(_IN_FLIGHT).bindparams(bindparam("cids", expanding=True))
    if session.connection().execute(stmt, {"cids": ids}).first() is not None:
        raise Conflict(
            "Penarikan otomatis bulan ini sedang diproses bank; coba lagi besok. / An auto-debit of these "
            "months is with the bank now; try again tomorrow.",
            code="debit_in_flight",
        )


def _active_mandate(session: Session, participant_id: int) -> Mandate:
    mandate = session.exec(
        select(Mandate).where(Mandate.participant_id == participant_id, Mandate.status == MandateStatus.active)
    ).first()
    if mandate is None:
        raise Conflict(
            "Belum ada autodebet aktif; hubungkan rekening atau e-wallet dulu. / No active auto-debit; "
            "link a bank account or e-wallet first.",
            code="no_active_mandate",
        )
    return mandate


def _chosen(session: Session, ask: PayAsk, today: date) -> list[Contribution]:
    participant = participants.get(session, ask.participant_id)
    if ask.months is not None:
        return contributions.months_to_pay(session, participant, ask.months, today)
    due = contributions.arrears(session, participant, today)
    if not due:
        raise Conflict("Tidak ada tunggakan. / There are no arrears.", code="nothing_to_pay")
    return due


def _next_attempt_no(session: Session, contribution_id: int) -> int:
    used = session.exec(
        select(func.max(DebitAttempt.attempt_no)).where(DebitAttempt.contribution_id == contribution_id)
    ).one()
    schedule = session.get(DebitSchedule, contribution_id)
    return max(used or 0, schedule.attempts if schedule else 0) + 1


def prepare(session: Session, ask: PayAsk, today: date) -> DebitAttempt:
    """The payment's attempt, written (not sent) with its key; the same form again gets the same one.
    Flushes; the caller commits before sending."""
    if not NONCE.fullmatch(ask.nonce):
        raise InvalidInput("Formulir tidak valid; muat ulang. / The form is invalid; reload it.", code="bad_nonce")
    key = key_of(ask.participant_id, ask.nonce)
    # One payment of a participant is prepared at a time: a second tap waits here, then finds the first.
    lock_rows(session.connection(), "participant", "id = :p", {"p": ask.participant_id})
    found = session.exec(select(DebitAttempt).where(DebitAttempt.idempotency_key == key)).first()
    if found is not None:
        return found
    chosen = _chosen(session, ask, today)
    mandate = _active_mandate(session, ask.participant_id)
    refuse_in_flight(session, chosen)
    first = chosen[0]
    assert first.id is not None and mandate.id is not None
    attempt = DebitAttempt(
        run_id=runs.ensure(session.connection(), RunKind.payment, today),
        contribution_id=first.id,
        mandate_id=mandate.id,
        attempt_no=_next_attempt_no(session, first.id),
        trigger=AttemptTrigger.manual,
        amount=sum(c.amount_due - c.amount_paid for c in chosen),
        idempotency_key=key,
        gateway=mandate.gateway,
        payment_method=mandate.payment_method,
    )
    session.add(attempt)
    session.flush()
    assert attempt.id is not None
    session.add(
        OneOffPayment(
            attempt_id=attempt.id,
            participant_id=ask.participant_id,
            periods=[f"{c.period:%Y-%m}" for c in chosen],
            source_ip=ask.ip,
        )
    )
    session.flush()
    return attempt


_ROW = f"""
SELECT {ATTEMPT_COLUMNS}, a.status, {guards.REASON} AS reason
FROM {guards.GUARDED_FROM} WHERE a.id = :id
"""


def send(engine: Engine, gateway: Gateway, attempt_id: int, settings: Settings, today: date) -> AttemptStatus:
    """Send the payment if it is still to be sent, and write its outcome (coverage follows at once).
    A pending one is checked first; an unknown one is left to the settlement job (it asks the gateway)."""
    with engine.begin() as conn:
        row = conn.execute(text(_ROW), {"id": attempt_id}).one()
        attempt = AttemptRow._make(row[:8])
        if row.status != AttemptStatus.pending.value:
            return AttemptStatus(row.status)
        # The guards' reasons, but the amount: a payment of several months is more than its first one owes.
        if row.reason is not None and row.reason != guards.CancelReason.amount_changed:
            guards.cancel(conn, [(attempt_id, row.reason)], today)
            return AttemptStatus.cancelled
    result = gateway.charge(
        ChargeRequest(
            amount=attempt.amount,
            payment_method=attempt.payment_method,
            idempotency_key=attempt.idempotency_key,
            metadata={**charge_metadata(attempt), "one_off": "1"},
        )
    )
    with engine.begin() as conn:
        resolve(conn, [attempt], [result], today, retry_policy(settings))
        evaluate_participant(conn, attempt.participant_id, today, settings.arrears_months)
        status = conn.execute(text("SELECT status FROM debit_attempt WHERE id = :id"), {"id": attempt_id}).scalar_one()
    return AttemptStatus(status)


@dataclass(frozen=True)
class Paid:
    """A payment as its receipt shows it."""

    attempt: DebitAttempt
    payment: OneOffPayment
    months: list[Contribution]  # the months it was for, as they are now


def of_participant(session: Session, participant_id: int, attempt_id: int) -> Paid:
    """One of this participant's payments; 404 for anyone else's (we do not say it exists)."""
    payment = session.get(OneOffPayment, attempt_id)
    attempt = session.get(DebitAttempt, attempt_id)
    if payment is None or attempt is None or payment.participant_id != participant_id:
        raise NotFound("Pembayaran tidak ditemukan. / Payment not found.", code="payment_not_found")
    periods = [parse_period(p) for p in payment.periods]
    months = session.exec(
        select(Contribution)
        .where(Contribution.participant_id == participant_id, col(Contribution.period).in_(periods))
        .order_by(col(Contribution.period))
    ).all()
    return Paid(attempt, payment, list(months))


def history(session: Session, participant_id: int, limit: int = 24) -> list[tuple[OneOffPayment, DebitAttempt]]:
    rows = session.exec(
        select(OneOffPayment, DebitAttempt)
        .join(DebitAttempt, col(DebitAttempt.id) == OneOffPayment.attempt_id)
        .where(OneOffPayment.participant_id == participant_id)
        .order_by(col(OneOffPayment.attempt_id).desc())
        .limit(limit)
    ).all()
    return [(p, a) for p, a in rows]
