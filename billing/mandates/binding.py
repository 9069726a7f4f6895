"""Authorising the auto-debit: the worker's consent is recorded, the gateway is asked to bind the
account (the worker confirms on the bank's or gateway's own page), and only when the gateway says the
binding succeeded does the mandate exist (or, for a new payment method, carry it): a first mandate is
created and activated; a live one goes through ``rebind`` (pending: nothing planned on the old method
is sent) and is activated on the new method at once, with both events.

The gateway is asked in no open transaction: the consent is committed before (so a crash leaves a
pending consent, not a binding we know nothing of), and its outcome is read from the gateway, never
from the browser coming back."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from billing.audit.service import record
from billing.auth.models import ApiUser
from billing.db import commit, unit_of_work
from billing.errors import Conflict
from billing.gateways.base import Gateway, GatewayError, SetupRequest, SetupResult, SetupStatus
from billing.mandates import consent, service
from billing.mandates.lifecycle import MandateAction
from billing.mandates.models import ConsentSource, ConsentStatus, Mandate, MandateChannel, MandateConsent
from billing.mandates.schemas import MandateCreate
from billing.participants.models import CoverageStatus, Participant
from billing.timeutil import utcnow

log = logging.getLogger(__name__)

PROVIDERS: dict[MandateChannel, tuple[str, ...]] = {
    MandateChannel.bank: ("BRI", "BNI", "Mandiri", "BCA", "BSI", "BTN", "Bank Jatim"),
    MandateChannel.ewallet: ("GoPay", "OVO", "DANA", "ShopeePay", "LinkAja"),
}


@dataclass(frozen=True)
class ConsentAsk:
    participant_id: int
    channel: MandateChannel
    provider: str
    debit_day: int
    amount: int  # the monthly amount the text named
    source: ConsentSource
    ip: str | None


def give(session: Session, ask: ConsentAsk, gateway_name: str) -> MandateConsent:
    """Record the consent as shown (its text version), before anything is asked of the gateway; flushes."""
    participant = session.get(Participant, ask.participant_id)
    if participant is None or participant.status in (CoverageStatus.ended, CoverageStatus.cancelled):
        raise Conflict(
            "Kepesertaan sudah berakhir; daftar ulang dulu. / The membership has ended; register again first.",
            code="participant_not_billable",
        )
    if ask.provider not in PROVIDERS[ask.channel]:
        raise Conflict(f"Penyedia tidak dikenal: {ask.provider}. / Unknown provider.", code="unknown_provider")
    row = MandateConsent(
        participant_id=ask.participant_id,
        source=ask.source,
        text_version=consent.VERSION,
        given_at=utcnow(),
        source_ip=ask.ip,
        gateway=gateway_name,
        channel=ask.channel,
        provider=ask.provider,
        debit_day=ask.debit_day,
        amount=ask.amount,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    record(
        session,
        action="worker.consent_given",
        target=("participant", ask.participant_id),
        after={
            "consent_id": row.id,
            "text_version": row.text_version,
            "source": str(ask.source),
            "channel": str(ask.channel),
            "provider": ask.provider,
            "debit_day": ask.debit_day,
        },
    )
    return row


def begin(engine: Engine, gateway: Gateway, consent_id: int, name: str, return_url: str) -> SetupResult:
    """Ask the gateway to bind; the consent keeps the binding's reference (committed apart)."""
    with unit_of_work(engine) as s:
        row = s.get(MandateConsent, consent_id)
        assert row is not None
        customer = gateway.create_customer(f"participant-{row.participant_id}", name)
        req = SetupRequest(
            customer=customer,
            channel=str(row.channel),
            provider=row.provider,
            max_amount=row.amount,
            debit_day=row.debit_day,
            return_url=return_url,
            idempotency_key=f"consent-{consent_id}",
            metadata={"participant_id": str(row.participant_id), "consent_id": str(consent_id)},
        )
    try:
        result = gateway.start_setup(req)
    except GatewayError as exc:
        with unit_of_work(engine) as s:
            row = s.get(MandateConsent, consent_id)
            assert row is not None
            row.status, row.failure, row.resolved_at = ConsentStatus.failed, f"gateway: {exc}"[:200], utcnow()
            s.add(row)
        raise Conflict(
            "Bank atau penyedia pembayaran tidak dapat dihubungi; tidak ada yang berubah, coba lagi nanti. / "
            "The bank or payment provider could not be reached; nothing changed, try again later.",
            code="binding_unavailable",
        ) from exc
    with unit_of_work(engine) as s:
        row = s.get(MandateConsent, consent_id)
        assert row is not None
        row.setup_reference = result.reference
        s.add(row)
    return result


def finish(engine: Engine, gateway: Gateway, consent_id: int, user: ApiUser, today: date) -> MandateConsent:
    """What became of the binding, as the gateway tells it: bound (the mandate active on the new method),
    failed, or still pending. Running it twice changes nothing more."""
    with unit_of_work(engine) as s:
        row = s.get(MandateConsent, consent_id)
        reference = row.setup_reference if row is not None else None
    result = gateway.retrieve_setup(reference) if reference else None
    with unit_of_work(engine) as s:
        row = s.get(MandateConsent, consent_id)
        assert row is not None
        s.refresh(row, with_for_update=True)
        if row.status is not ConsentStatus.pending:
            return row
        if result is None or result.status is SetupStatus.failed:
            row.status, row.resolved_at = ConsentStatus.failed, utcnow()
            row.failure = (result.failure_code or "failed") if result else "no_such_setup"
            s.add(row)
            record(
                s,
                action="worker.binding_failed",
                target=("participant", row.participant_id),
                user=user,
                after={"consent_id": consent_id, "failure": row.failure},
            )
        elif result.status is SetupStatus.succeeded:
            assert result.payment_method is not None
            mandate = _bind(s, row, result.payment_method, result.display, str(user.id), today)
            row.status, row.resolved_at, row.mandate_id = ConsentStatus.bound, utcnow(), mandate.id
            s.add(row)
            record(
                s,
                action="worker.mandate_bound",
                target=("mandate", mandate.id or 0),
                user=user,
                after={"consent_id": consent_id, "display": mandate.display, "debit_day": mandate.debit_day},
            )
        return row


def _bind(session: Session, row: MandateConsent, token: str, display: str | None, actor: str, on: date) -> Mandate:
    shown = display or f"{row.provider}"
    live = service.live_of_participant(session, row.participant_id)
    why = f"bound: consent {row.id}"
    if not live:
        mandate = service.create(
            session,
            MandateCreate(
                participant_id=row.participant_id,
                gateway=row.gateway,
                payment_method=token,
                channel=row.channel,
                display=shown,
                debit_day=row.debit_day,
                consent_source=row.source,
            ),
            actor,
            on,
        )
    else:
        mandate = live[0]
        mandate.gateway, mandate.payment_method, mandate.channel = row.gateway, token, row.channel
        mandate.display, mandate.debit_day = shown, row.debit_day
        mandate.consent_source = row.source
        session.add(mandate)
        session.flush()
        # A new binding is a new consent: whatever was planned on the old method is not sent.
        service.record_transition(session, mandate, MandateAction.rebind, why, actor, on)
    mandate.consent_at = row.given_at
    session.add(mandate)
    session.flush()
    return service.record_transition(session, mandate, MandateAction.activate, why, actor, on)


def revoke_and_unbind(
    session: Session, mandate_id: int, reason: str | None, actor: str, on: date, gateway_of: Callable[[str], Gateway]
) -> tuple[Mandate, bool]:
    """Revoke the mandate and commit, then ask its gateway to forget the binding (``unbind``). In this
    order a process that dies between the two leaves a binding nothing is ever planned on; the other way
    round it left an active mandate whose token the bank refuses, and the next debit failed."""
    mandate = service.transition(session, mandate_id, MandateAction.revoke, reason, actor, on)
    commit(session)
    return mandate, unbind(gateway_of(mandate.gateway), mandate.payment_method)


def unbind(gateway: Gateway, payment_method: str) -> bool:
    """Ask the gateway to forget a revoked mandate's binding, when it keeps one (SNAP's account
    unbinding), so the token can never be debited again. False when it could not be asked: the mandate
    stays revoked all the same (nothing is planned on a revoked mandate)."""
    release = getattr(gateway, "unbind", None)
    if release is None:
        return True
    try:
        release(payment_method)
    except GatewayError as exc:
        log.warning("could not unbind a revoked mandate's account at %s: %s", gateway.name, exc)
        return False
    return True
