"""Refunds of a participant's credit: through the gateway, back to the account a charge came from
(never more than is left of that charge), or in cash at a branch with a receipt. The credit is set
aside (``refunds_payable``) in the transaction that asks for the refund, so it cannot be spent or
refunded twice; the gateway's answer then pays it out, or releases it back to credit."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing.db import violates
from billing.errors import Conflict, InvalidInput
from billing.gateways.base import Gateway, RefundRequest
from billing.gateways.base import RefundStatus as GatewayRefundStatus
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import credit_balance, post
from billing.payments.models import Refund, RefundMethod, RefundStatus
from billing.payments.reversals import held
from billing.timeutil import utcnow


@dataclass(frozen=True)
class RefundAsk:
    participant_id: int
    amount: int
    method: RefundMethod
    reason: str
    requested_by: str
    receipt_number: str | None = None


def _charges(session: Session, participant_id: int) -> list[tuple[int, str, str, int]]:
    """The participant's charges that money can go back through, newest first: (attempt, gateway,
    reference, what is left of it)."""
    conn = session.connection()
    rows = conn.execute(
        text(
            "SELECT a.id, a.gateway, a.gateway_reference FROM ledger_transfer l JOIN debit_attempt a"
            " ON a.id = l.attempt_id WHERE l.kind = 'debit' AND l.participant_id = :p"
            " AND a.gateway_reference IS NOT NULL ORDER BY a.id DESC"
        ),
        {"p": participant_id},
    ).all()
    return [(r.id, r.gateway, r.gateway_reference, held(conn, r.id)) for r in rows]


def request(session: Session, ask: RefundAsk, today: date) -> list[Refund]:
    """Set the credit aside and write the refunds (one per charge it goes back through); flushes.
    The caller commits, then ``execute`` sends the gateway ones."""
    conn = session.connection()
    balance = credit_balance(conn, ask.participant_id, lock=True)
    if ask.amount > balance:
        raise Conflict(
            f"Saldo kredit hanya Rp {balance:,}. / The credit balance is only Rp {balance:,}.".replace(",", "."),
            code="refund_exceeds_credit",
        )
    slices: list[tuple[int | None, str | None, str | None, int]] = []
    if ask.method is RefundMethod.cash:
        if not ask.receipt_number:
            raise InvalidInput(
                "Pengembalian tunai memerlukan nomor kuitansi. / A cash refund needs a receipt number.",
                code="receipt_number_required",
                errors=[{"field": "receipt_number", "message": "required", "type": "missing"}],
            )
        slices.append((None, None, None, ask.amount))
    else:
        left = ask.amount
        for attempt_id, gateway, reference, refundable in _charges(session, ask.participant_id):
            if left <= 0:
                break
            take = min(left, refundable)
            if take > 0:
                slices.append((attempt_id, gateway, reference, take))
                left -= take
        if left > 0:
            raise Conflict(
                "Tidak ada pembayaran yang cukup untuk dikembalikan lewat gateway; kembalikan tunai. / "
                "No charge is left to refund this much through the gateway; refund in cash.",
                code="refund_exceeds_charges",
            )
    refunds = []
    for attempt_id, gateway, _reference, amount in slices:
        refund = Refund(
            participant_id=ask.participant_id,
            method=ask.method,
            amount=amount,
            attempt_id=attempt_id,
            gateway=gateway,
            idempotency_key=f"rf-pending-{utcnow().timestamp()}-{attempt_id}-{len(refunds)}",
            receipt_number=ask.receipt_number,
            reason=ask.reason,
            requested_by=ask.requested_by,
        )
        session.add(refund)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict(
                "Pengembalian bentrok; ulangi. / Refunds collided; try again.", code="refund_conflict"
            ) from exc
        assert refund.id is not None
        refund.idempotency_key = f"rf{refund.id}"
        post(
            conn,
            f"refund:{refund.id}:reserved",
            TransferKind.refund_reserved,
            Account.participant_credit,
            Account.refunds_payable,
            amount,
            today,
            participant_id=ask.participant_id,
            attempt_id=attempt_id,
            refund_id=refund.id,
        )
        if ask.method is RefundMethod.cash:
            _paid_out(conn, refund, Account.cash_branch, today)
        refunds.append(refund)
    try:
        session.flush()
    except IntegrityError as exc:
        if violates(exc, "uq_refund_idempotency_key", "refund.idempotency_key"):
            raise Conflict(
                "Pengembalian bentrok; ulangi. / Refunds collided; try again.", code="refund_conflict"
            ) from exc
        raise
    return refunds


def _paid_out(conn, refund: Refund, to: Account, today: date) -> None:  # type: ignore[no-untyped-def]
    post(
        conn,
        f"refund:{refund.id}:paid",
        TransferKind.refund_paid,
        Account.refunds_payable,
        to,
        refund.amount,
        today,
        participant_id=refund.participant_id,
        attempt_id=refund.attempt_id,
        refund_id=refund.id,
    )
    refund.status = RefundStatus.succeeded
    refund.resolved_at = utcnow()


def settle(
    session: Session,
    refund: Refund,
    status: GatewayRefundStatus,
    reference: str | None,
    failure: str | None,
    today: date,
) -> bool:
    """Record the gateway's answer to a refund still requested (a webhook, or the call's own answer);
    False when it was settled before or the gateway has not decided yet. Flushes."""
    if reference and not refund.gateway_reference:
        refund.gateway_reference = reference
        session.add(refund)
    if refund.status is not RefundStatus.requested or status is GatewayRefundStatus.pending:
        session.flush()
        return False
    conn = session.connection()
    if status is GatewayRefundStatus.succeeded:
        _paid_out(conn, refund, Account.gateway_clearing, today)
    else:
        post(
            conn,
            f"refund:{refund.id}:released",
            TransferKind.refund_released,
            Account.refunds_payable,
            Account.participant_credit,
            refund.amount,
            today,
            participant_id=refund.participant_id,
            attempt_id=refund.attempt_id,
            refund_id=refund.id,
        )
        refund.status = RefundStatus.failed
        refund.failure = (failure or "refused")[:200]
        refund.resolved_at = utcnow()
    session.add(refund)
    session.flush()
    return True


def by_key(session: Session, key: str | None, reference: str | None) -> Refund | None:
    """Our refund that a gateway event names, by our idempotency key or the gateway's refund id."""
    if key:
        found = session.exec(select(Refund).where(Refund.idempotency_key == key)).first()
        if found is not None:
            return found
    if reference:
        return session.exec(select(Refund).where(Refund.gateway_reference == reference)).first()
    return None


def execute(session: Session, gateway: Gateway, refund: Refund, today: date) -> Refund:
    """Send a requested gateway refund (again, with the same key: the gateway answers once) and record
    its answer. The caller commits before (the refund exists) and after."""
    if refund.status is not RefundStatus.requested or refund.method is not RefundMethod.gateway:
        return refund
    reference = (
        session.connection()
        .execute(text("SELECT gateway_reference FROM debit_attempt WHERE id = :a"), {"a": refund.attempt_id})
        .scalar_one()
    )
    answer = gateway.refund(
        RefundRequest(charge_reference=reference, amount=refund.amount, idempotency_key=refund.idempotency_key)
    )
    settle(session, refund, answer.status, answer.reference, answer.message, today)
    return refund


def pending(session: Session) -> list[Refund]:
    """Gateway refunds still waiting for an answer (the settlement job sends them again)."""
    stmt = select(Refund).where(Refund.status == RefundStatus.requested, Refund.method == RefundMethod.gateway)
    return list(session.exec(stmt.order_by(col(Refund.id))).all())
