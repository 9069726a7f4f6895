"""The single-item actions finance takes on a case (one contribution), for the case page, the API and
the queue's bulk actions alike. Each has one shape::

    action(session, contribution_id, actor, reason, **params) -> Outcome

It goes through the service that owns what it changes (and so through issue 10's guards: a receipt or
a waiver cancels the month's unsent attempts, a suspended mandate's too, a one-off attempt is sent
only through the engine's guarded take), writes its audit record in the same transaction, and
flushes: the request (or the bulk job) commits. A refusal is a ``BillingError`` with a stable code,
raised before anything is written. Only finance and admin act. ``today`` defaults to the app's day."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from billing import settings as app_settings
from billing.audit.service import record
from billing.auth.models import ApiUser, Role
from billing.casework.models import CaseNote, WaiverRequest
from billing.contributions import service as contributions
from billing.contributions.models import Contribution, ContributionStatus
from billing.contributions.schemas import StaffReceiptChannel
from billing.coverage.outlook import outlook
from billing.coverage.service import ensure_payable
from billing.db import violates
from billing.debits import retry_now
from billing.errors import Conflict, Forbidden, InvalidInput
from billing.mandates import service as mandates
from billing.mandates.lifecycle import MandateAction
from billing.mandates.models import Mandate, MandateStatus
from billing.notices.models import NoticeKind
from billing.notices.service import queue
from billing.participants import service as participants
from billing.payments import credit
from billing.payments.models import ReceiptChannel
from billing.sponsors.models import Payer

ACTORS = (Role.finance, Role.admin)
TARGET = "contribution"
REASON_MIN, REASON_MAX = 3, 200
NOTE_MAX = 2000


@dataclass(frozen=True)
class Outcome:
    """What an action did: ``status`` says which way it went (e.g. ``planned`` or ``paid_by_credit`` for
    a retry, ``waived`` or ``approval_needed`` for a waiver); ``detail`` the ids it made."""

    action: str
    contribution_id: int
    status: str
    detail: dict[str, Any] = field(default_factory=dict)


def check_actor(actor: ApiUser) -> None:
    if actor.role not in ACTORS:
        raise Forbidden(
            f"Peran '{actor.role}' tidak boleh menangani kasus. / Role '{actor.role}' may not act on cases.",
            code="role_not_allowed",
        )


def check_reason(reason: str, most: int = REASON_MAX) -> str:
    text = (reason or "").strip()
    if not REASON_MIN <= len(text) <= most:
        raise InvalidInput(
            f"Alasan wajib diisi, {REASON_MIN}-{most} karakter. / A reason is required, {REASON_MIN}-{most} "
            "characters.",
            code="invalid_reason",
            errors=[{"field": "reason", "message": f"{REASON_MIN}-{most} characters", "type": "invalid_reason"}],
        )
    return text


def _start(
    session: Session, contribution_id: int, actor: ApiUser, reason: str, most: int = REASON_MAX
) -> tuple[Contribution, str]:
    check_actor(actor)
    return contributions.get(session, contribution_id), check_reason(reason, most)


def _state(c: Contribution) -> dict[str, Any]:
    return {"status": str(c.status), "amount_due": c.amount_due, "amount_paid": c.amount_paid}


def audit_case(
    session: Session,
    actor: ApiUser,
    action: str,
    contribution_id: int,
    reason: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record(
        session,
        action=f"case.{action}",
        target=(TARGET, contribution_id),
        before=before,
        after=after,
        reason=reason[:500],
        user=actor,
    )


def app_day(today: date | None) -> date:
    return today or app_settings.today()


def retry(
    session: Session,
    contribution_id: int,
    actor: ApiUser,
    reason: str,
    *,
    after_attempt: int | None = None,
    today: date | None = None,
) -> Outcome:
    """A new attempt with a new key, planned now (``billing.debits.retry_now``): the caller may send it
    once committed (``casework.sending``), else a worker does. The participant's credit pays first, as
    before any debit run. ``after_attempt``: the attempt number the caller saw; refused when another
    attempt was made since (a form submitted twice)."""
    c, why = _start(session, contribution_id, actor, reason)
    day = app_day(today)
    settings = app_settings.current()
    conn = session.connection()
    retry_now.check(conn, contribution_id, day, settings.retry_max_attempts, after_attempt)
    before = {**_state(c), "latest_attempt_no": retry_now.latest_attempt_no(conn, contribution_id)}
    credit.apply(conn, [c.participant_id], day)
    session.refresh(c)
    if c.status is not ContributionStatus.due:
        audit_case(session, actor, "retry", contribution_id, why, before, {**_state(c), "paid_by": "credit"})
        return Outcome("retry", contribution_id, "paid_by_credit")
    planned = retry_now.plan(conn, contribution_id, day, settings.retry_max_attempts, after_attempt)
    detail = {
        "attempt_id": planned.attempt_id,
        "attempt_no": planned.attempt_no,
        "idempotency_key": planned.idempotency_key,
        "amount": planned.amount,
        "batch_id": planned.batch_id,
        "gateway": planned.gateway,
    }
    audit_case(session, actor, "retry", contribution_id, why, before, detail)
    return Outcome("retry", contribution_id, "planned", detail)


def record_offline_payment(
    session: Session,
    contribution_id: int,
    actor: ApiUser,
    reason: str,
    *,
    receipt_number: str,
    channel: ReceiptChannel | str,
    amount: int,
    paid_on: date,
    today: date | None = None,
) -> Outcome:
    """Money received at an agent, a branch or by transfer, with its receipt (unique per channel) of
    exactly what the month owes, through the receipt service: the month's unsent attempts are
    cancelled; a debit already at the gateway that succeeds too becomes credit."""
    c, why = _start(session, contribution_id, actor, reason)
    if str(channel) not in {ch.value for ch in StaffReceiptChannel}:  # ``history`` is for imports only
        raise InvalidInput(
            f"Kanal {channel} tidak dikenal; pakai agent, branch atau bank_transfer. / Unknown channel {channel}; "
            "use agent, branch or bank_transfer.",
            errors=[{"field": "channel", "message": "agent, branch or bank_transfer", "type": "enum"}],
        )
    before = _state(c)
    received = contributions.ReceiptIn(
        number=receipt_number,
        channel=ReceiptChannel(channel),
        amount=amount,
        received_on=paid_on,
        recorded_by=str(actor.id),
    )
    paid = contributions.record_offline_payment(
        session, contribution_id, received, app_day(today), app_settings.current().arrears_months
    )
    detail = {"receipt_number": receipt_number, "channel": str(received.channel), "amount": amount}
    audit_case(
        session,
        actor,
        "offline_payment",
        contribution_id,
        why,
        before,
        {**_state(paid), **detail, "paid_on": str(paid_on)},
    )
    return Outcome("offline_payment", contribution_id, "recorded", detail)


def _owed_if_due(session: Session, c: Contribution) -> int:
    if c.status is not ContributionStatus.due:
        raise Conflict(
            f"Iuran {c.id} tidak terutang lagi ({c.status}). / Contribution {c.id} is no longer due ({c.status}).",
            code="contribution_not_due",
        )
    ensure_payable(participants.get(session, c.participant_id), c.period)
    return c.amount_due - c.amount_paid


def waive(session: Session, contribution_id: int, actor: ApiUser, reason: str, *, today: date | None = None) -> Outcome:
    """What the month owes is written off at once when it is at most ``BILLING_WAIVER_APPROVAL_ABOVE``;
    above, a waiver request waits for a second finance user (``casework.approvals``)."""
    c, why = _start(session, contribution_id, actor, reason)
    owed = _owed_if_due(session, c)
    limit = app_settings.current().waiver_approval_above
    if owed <= limit:
        before = _state(c)
        waived = contributions.waive(
            session, contribution_id, why, app_day(today), app_settings.current().arrears_months
        )
        audit_case(session, actor, "waive", contribution_id, why, before, {**_state(waived), "written_off": owed})
        return Outcome("waive", contribution_id, "waived", {"written_off": owed})
    assert actor.id is not None
    request = WaiverRequest(contribution_id=contribution_id, amount=owed, reason=why, requested_by=actor.id)
    session.add(request)
    try:
        session.flush()
    except IntegrityError as exc:
        if violates(exc, "uq_waiver_request_pending", "waiver_request.contribution_id"):
            raise Conflict(
                "Permintaan penghapusan iuran ini sudah menunggu persetujuan. / A waiver of this contribution "
                "is already waiting for approval.",
                code="waiver_pending",
            ) from exc
        raise
    detail = {"waiver_request_id": request.id, "amount": owed, "approval_above": limit}
    audit_case(session, actor, "waiver_requested", contribution_id, why, _state(c), detail)
    return Outcome("waive", contribution_id, "approval_needed", detail)


def _live_mandate(session: Session, participant_id: int) -> Mandate:
    live = mandates.live_of_participant(session, participant_id)
    if not live:
        raise Conflict(
            "Peserta tidak punya mandat autodebet yang berlaku. / The worker has no live auto-debit mandate.",
            code="no_live_mandate",
        )
    return live[0]


def _mandate_action(
    session: Session, contribution_id: int, actor: ApiUser, reason: str, action: MandateAction, today: date | None
) -> Outcome:
    c, why = _start(session, contribution_id, actor, reason)
    mandate = _live_mandate(session, c.participant_id)
    assert mandate.id is not None
    before = {"mandate_id": mandate.id, "status": str(mandate.status)}
    changed = mandates.transition(session, mandate.id, action, why, str(actor.id), app_day(today))
    name = "mandate_suspended" if action is MandateAction.suspend else "mandate_resumed"
    audit_case(
        session, actor, name, contribution_id, why, before, {"mandate_id": mandate.id, "status": str(changed.status)}
    )
    return Outcome(name, contribution_id, str(changed.status), {"mandate_id": mandate.id})


def suspend_mandate(
    session: Session, contribution_id: int, actor: ApiUser, reason: str, *, today: date | None = None
) -> Outcome:
    """Suspend the worker's mandate (its planned, unsent attempts are cancelled by the mandate service)."""
    return _mandate_action(session, contribution_id, actor, reason, MandateAction.suspend, today)


def resume_mandate(
    session: Session, contribution_id: int, actor: ApiUser, reason: str, *, today: date | None = None
) -> Outcome:
    """Resume a suspended mandate: months whose retries had stopped are billed again from today."""
    return _mandate_action(session, contribution_id, actor, reason, MandateAction.resume, today)


def send_reminder(
    session: Session, contribution_id: int, actor: ApiUser, reason: str, *, today: date | None = None
) -> Outcome:
    """Queue a ``payment_reminder`` notice (the outbox; the notice sender delivers it), at most one per
    contribution a day: a second click is refused, not sent twice."""
    c, why = _start(session, contribution_id, actor, reason)
    owed = _owed_if_due(session, c)
    if c.payer is not Payer.self:
        raise Conflict(
            "Iuran bulan ini dibayar sponsor; peserta tidak perlu diingatkan. / A sponsor pays this month; the "
            "worker need not be reminded.",
            code="not_self_paid",
        )
    day = app_day(today)
    conn = session.connection()
    live = mandates.live_of_participant(session, c.participant_id)
    account = live[0].display if live and live[0].status is MandateStatus.active else None
    view = outlook(conn, c.participant_id, app_settings.current().arrears_months)
    params = {
        "period": c.period.isoformat(),
        "amount": owed,
        "account": account,
        "pay_by": view.pay_by.isoformat() if view.pay_by else None,
    }
    key = f"payment_reminder:{contribution_id}:{day.isoformat()}"
    if not queue(conn, c.participant_id, NoticeKind.payment_reminder, key, params):
        raise Conflict(
            "Pengingat iuran ini sudah dikirim hari ini. / A reminder of this contribution was already sent today.",
            code="reminder_already_sent",
        )
    audit_case(session, actor, "reminder", contribution_id, why, None, {"notice": key, **params})
    return Outcome("reminder", contribution_id, "queued", {"dedupe_key": key})


def add_note(
    session: Session, contribution_id: int, actor: ApiUser, reason: str, *, today: date | None = None
) -> Outcome:
    """A staff note on the case; the note is its own reason (its text, up to 2,000 characters).
    ``today`` is taken, unused, as by every action: a bulk caller passes the same arguments to all."""
    c, body = _start(session, contribution_id, actor, reason, NOTE_MAX)
    assert actor.id is not None and c.id is not None
    note = CaseNote(contribution_id=c.id, author_id=actor.id, body=body)
    session.add(note)
    session.flush()
    audit_case(session, actor, "note", contribution_id, body, None, {"note_id": note.id})
    return Outcome("note", contribution_id, "added", {"note_id": note.id})
