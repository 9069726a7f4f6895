"""The worker's own standing: until when they are covered (or what to pay by when), the next debit,
their months with printable receipts, their payments and the notices sent to them."""

from typing import Any

from flask import g, render_template
from sqlmodel import col, select

from billing import db
from billing.contributions.models import Contribution, ContributionStatus
from billing.contributions.service import lines_of
from billing.coverage.standing import read
from billing.debits import pay_now
from billing.debits.models import AttemptStatus, DebitAttempt
from billing.notices.models import Notice
from billing.notices.texts import render
from billing.participants.identity import mask_nik
from billing.settings import current, today
from billing.web.worker.access import bp, not_theirs, worker_page
from billing.web.worker.labels import bilingual

HISTORY = 24  # months shown


def _notices(participant_id: int) -> list[tuple[Notice, str]]:
    rows = db.session().exec(
        select(Notice).where(Notice.participant_id == participant_id).order_by(col(Notice.id).desc()).limit(10)
    )
    out = []
    for notice in rows:
        try:
            out.append((notice, bilingual(render(notice.kind, notice.params))))
        except (KeyError, ValueError):  # an old notice's params this text no longer reads
            continue
    return out


@bp.get("/status")
@worker_page
def status() -> Any:
    session = db.session()
    participant = g.participant
    months = session.exec(
        select(Contribution)
        .where(Contribution.participant_id == participant.id)
        .order_by(col(Contribution.period).desc())
        .limit(HISTORY)
    ).all()
    return render_template(
        "worker/status.html",
        standing=read(session, participant, today(), current().arrears_months),
        months=months,
        payments=pay_now.history(session, participant.id),
        notices=_notices(participant.id),
        today=today(),
    )


def _reference(contribution: Contribution) -> str | None:
    """What paid the month, as the worker's bank statement or receipt shows it."""
    if contribution.receipt_number:
        return contribution.receipt_number
    found = (
        db.session()
        .exec(
            select(DebitAttempt.gateway_reference)
            .where(DebitAttempt.contribution_id == contribution.id, DebitAttempt.status == AttemptStatus.succeeded)
            .order_by(col(DebitAttempt.id).desc())
        )
        .first()
    )
    return found


@bp.get("/kuitansi/<int:contribution_id>")
@worker_page
def receipt(contribution_id: int) -> Any:
    contribution = db.session().get(Contribution, contribution_id)
    if (
        contribution is None
        or contribution.participant_id != g.participant.id
        or contribution.status is not ContributionStatus.paid
    ):
        raise not_theirs("Kuitansi")
    assert contribution.id is not None
    return render_template(
        "worker/receipt.html",
        c=contribution,
        lines=lines_of(db.session(), [contribution.id])[contribution.id],
        reference=_reference(contribution),
        nik=mask_nik(g.participant.nik),
    )
