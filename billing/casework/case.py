"""The case page's read model: everything finance needs about one contribution's failed debit, read
in one go. The participant's every month with its attempts and what the gateway said of each (the
attempt keeps the normalised failure code and the gateway's charge id; a webhook's body is kept whole
on its event; the gateway's own code and message are not stored for an answer to our request, so the
page reads them from the gateway on demand, ``?ask=<attempt id>``), the mandates
with their history, notices sent, coverage and the day it would end, credit, notes, waiver requests
and the audit records of the case."""

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from billing.audit.models import AuditRecord
from billing.auth.models import ApiUser
from billing.casework.actions import TARGET
from billing.casework.models import CaseNote, WaiverRequest
from billing.contributions import service as contributions
from billing.contributions.models import Contribution
from billing.coverage.outlook import Outlook, outlook
from billing.debits import retry_now
from billing.debits.models import DebitAttempt, DebitSchedule
from billing.errors import BillingError
from billing.ledger.service import credit_balance
from billing.mandates.models import LIVE_STATUSES, Mandate, MandateEvent
from billing.notices.models import Notice
from billing.notices.texts import render
from billing.participants.models import Participant
from billing.regions.models import Region
from billing.webhooks.models import GatewayEvent

# The audit records of a case: the case actions', and the API writes on the contribution's own routes.
AUDIT_TARGETS = (TARGET, "contributions", "casework")
RECENT_NOTICES = 50
RECENT_AUDIT = 100


@dataclass
class AttemptView:
    attempt: DebitAttempt
    events: list[GatewayEvent] = field(default_factory=list)


@dataclass
class MonthView:
    contribution: Contribution
    attempts: list[AttemptView]
    schedule: DebitSchedule | None


@dataclass
class MandateView:
    mandate: Mandate
    events: list[MandateEvent]


@dataclass
class Case:
    contribution: Contribution
    participant: Participant
    region: Region | None
    months: list[MonthView]
    mandates: list[MandateView]
    live_mandate: Mandate | None
    notices: list[tuple[Notice, str | None]]
    coverage: Outlook
    credit: int
    notes: list[CaseNote]
    waivers: list[WaiverRequest]
    audit: list[AuditRecord]
    users: dict[int, ApiUser]
    latest_attempt_no: int
    retry_refusal: BillingError | None

    @property
    def month(self) -> MonthView:
        return next(m for m in self.months if m.contribution.id == self.contribution.id)

    @property
    def owed(self) -> int:
        return self.contribution.amount_due - self.contribution.amount_paid


def _text(notice: Notice) -> str | None:
    try:
        return render(notice.kind, notice.params)
    except (KeyError, ValueError):  # params of a kind's older shape: listed without its text
        return None


def load(session: Session, contribution_id: int, today: date, arrears_months: int, max_attempts: int) -> Case:
    contribution = contributions.get(session, contribution_id)
    pid = contribution.participant_id
    participant = session.get(Participant, pid)
    assert participant is not None
    months_rows = list(
        session.exec(
            select(Contribution).where(Contribution.participant_id == pid).order_by(col(Contribution.period).desc())
        ).all()
    )
    ids = [c.id for c in months_rows]
    attempts = list(
        session.exec(
            select(DebitAttempt)
            .where(col(DebitAttempt.contribution_id).in_(ids))
            .order_by(col(DebitAttempt.contribution_id), col(DebitAttempt.attempt_no))
        ).all()
    )
    events: dict[int, list[GatewayEvent]] = {}
    if attempts:
        found = session.exec(
            select(GatewayEvent)
            .where(col(GatewayEvent.attempt_id).in_([a.id for a in attempts]))
            .order_by(col(GatewayEvent.id))
        )
        for e in found:
            events.setdefault(e.attempt_id or 0, []).append(e)
    by_month: dict[int, list[AttemptView]] = {}
    for a in attempts:
        by_month.setdefault(a.contribution_id, []).append(AttemptView(a, events.get(a.id or 0, [])))
    schedules = {
        s.contribution_id: s
        for s in session.exec(select(DebitSchedule).where(col(DebitSchedule.contribution_id).in_(ids)))
    }
    months = [MonthView(c, by_month.get(c.id or 0, []), schedules.get(c.id or 0)) for c in months_rows]

    mandate_rows = list(
        session.exec(select(Mandate).where(Mandate.participant_id == pid).order_by(col(Mandate.id).desc())).all()
    )
    mandate_events: dict[int, list[MandateEvent]] = {}
    if mandate_rows:
        for e in session.exec(
            select(MandateEvent)
            .where(col(MandateEvent.mandate_id).in_([m.id for m in mandate_rows]))
            .order_by(col(MandateEvent.id))
        ):
            mandate_events.setdefault(e.mandate_id, []).append(e)
    mandates = [MandateView(m, mandate_events.get(m.id or 0, [])) for m in mandate_rows]
    live = next((m for m in mandate_rows if m.status in LIVE_STATUSES), None)

    notices = list(
        session.exec(
            select(Notice).where(Notice.participant_id == pid).order_by(col(Notice.id).desc()).limit(RECENT_NOTICES)
        ).all()
    )
    notes = list(
        session.exec(select(CaseNote).where(col(CaseNote.contribution_id).in_(ids)).order_by(col(CaseNote.id))).all()
    )
    waivers = list(
        session.exec(
            select(WaiverRequest)
            .where(WaiverRequest.contribution_id == contribution_id)
            .order_by(col(WaiverRequest.id).desc())
        ).all()
    )
    audit = list(
        session.exec(
            select(AuditRecord)
            .where(
                col(AuditRecord.target_type).in_(AUDIT_TARGETS),
                AuditRecord.target_id == str(contribution_id),
            )
            .order_by(col(AuditRecord.id).desc())
            .limit(RECENT_AUDIT)
        ).all()
    )
    wanted = {n.author_id for n in notes} | {a.user_id for a in audit if a.user_id}
    wanted |= {w.requested_by for w in waivers} | {w.decided_by for w in waivers if w.decided_by}
    users = {u.id: u for u in session.exec(select(ApiUser).where(col(ApiUser.id).in_(wanted)))} if wanted else {}
    conn = session.connection()
    own = by_month.get(contribution_id, [])
    return Case(
        contribution=contribution,
        participant=participant,
        region=session.get(Region, participant.region_code),
        months=months,
        mandates=mandates,
        live_mandate=live,
        notices=[(n, _text(n)) for n in notices],
        coverage=outlook(conn, pid, arrears_months),
        credit=credit_balance(conn, pid),
        notes=notes,
        waivers=waivers,
        audit=audit,
        users={k: v for k, v in users.items() if k is not None},
        latest_attempt_no=own[-1].attempt.attempt_no if own else 0,
        retry_refusal=retry_now.refusal(conn, contribution_id, today, max_attempts),
    )


def as_json(value: Any) -> str:
    """A stored gateway body or audit detail, for reading on the page."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
