"""Contribution rules one participant at a time: listing, prepaying, offline payment, waiving.
Monthly generation for everyone is in ``generation``."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from billing.contributions import settle
from billing.contributions.due_dates import due_date_for
from billing.contributions.models import Contribution, ContributionLine, ContributionStatus, PaidVia
from billing.contributions.pricing import quote_month
from billing.contributions.schemas import ContributionQuery
from billing.coverage import service as coverage
from billing.coverage.evaluation import evaluate_participant
from billing.debits.guards import CancelReason, cancel_unsent
from billing.errors import Conflict, InvalidInput, NotFound
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import post
from billing.pagination import paginate
from billing.participants import service as participants
from billing.participants.models import Participant
from billing.payments import receipts
from billing.payments.models import ReceiptChannel
from billing.payments.receipts import record_for_months
from billing.sponsors.service import payer_of
from billing.tariffs.service import load_tariff
from billing.timeutil import add_months, month_start

SYSTEM = "system"

MAX_PREPAY_MONTHS = 12


def get(session: Session, contribution_id: int) -> Contribution:
    contribution = session.get(Contribution, contribution_id)
    if contribution is None:
        raise NotFound(
            f"Iuran {contribution_id} tidak ditemukan. / Contribution {contribution_id} not found.",
            code="contribution_not_found",
        )
    return contribution


def lines_of(session: Session, contribution_ids: list[int]) -> dict[int, list[ContributionLine]]:
    out: dict[int, list[ContributionLine]] = {cid: [] for cid in contribution_ids}
    if contribution_ids:
        stmt = (
            select(ContributionLine)
            .where(col(ContributionLine.contribution_id).in_(contribution_ids))
            .order_by(col(ContributionLine.contribution_id), col(ContributionLine.program))
        )
        for line in session.exec(stmt).all():
            out[line.contribution_id].append(line)
    return out


def list_for_participant(session: Session, participant_id: int, q: ContributionQuery) -> tuple[list[Contribution], int]:
    participants.get(session, participant_id)
    stmt = (
        select(Contribution)
        .where(Contribution.participant_id == participant_id)
        .order_by(col(Contribution.period).desc())
    )
    if q.status:
        stmt = stmt.where(Contribution.status == q.status)
    if q.year:
        stmt = stmt.where(col(Contribution.period).between(date(q.year, 1, 1), date(q.year, 12, 1)))
    return paginate(session, stmt, q)


def record_paid_through(session: Session, last_period: date, receipt_number: str) -> int:
    """Every contribution through ``last_period`` still due was paid before this service ran (a
    legacy system's history, on the first of its month): one receipt of the history. Returns how many."""
    return record_for_months(
        session,
        channel=ReceiptChannel.history,
        number=receipt_number,
        where="c.period <= :last",
        params={"last": month_start(last_period)},
        received_on=month_start(last_period),
        via=PaidVia.offline,
        recorded_by=SYSTEM,
        today=month_start(last_period),
        paid_on_period=True,
    )


def _create(session: Session, participant: Participant, period: date) -> Contribution:
    """One month's contribution with its lines, priced as monthly generation would price it."""
    assert participant.id is not None
    payer, sponsor_id = payer_of(session, participant.id, period)
    quote = quote_month(session, load_tariff(session, period), participant, payer)
    contribution = Contribution(
        participant_id=participant.id,
        period=period,
        amount_due=quote.total,
        due_date=due_date_for(period),
        payer=payer,
        sponsor_id=sponsor_id,
    )
    session.add(contribution)
    session.flush()
    assert contribution.id is not None
    for line in quote.lines:
        session.add(
            ContributionLine(
                contribution_id=contribution.id,
                program=line.program,
                base_amount=line.base_amount,
                discount_amount=line.discount_amount,
                amount=line.amount,
            )
        )
    return contribution


@dataclass(frozen=True)
class ReceiptIn:
    """Money received by staff (finance, admin, an agent) with its receipt."""

    number: str
    channel: ReceiptChannel
    amount: int
    received_on: date
    recorded_by: str


def _check_received_on(receipt: ReceiptIn, today: date) -> None:
    if receipt.received_on > today:
        raise InvalidInput(
            "Tanggal bayar tidak boleh di masa depan. / The payment date cannot be in the future.",
            code="paid_on_in_future",
            errors=[{"field": "paid_on", "message": "in the future", "type": "paid_on_in_future"}],
        )


def prepay(
    session: Session, participant_id: int, months: int, receipt: ReceiptIn, today: date, arrears_months: int
) -> list[Contribution]:
    """The next ``months`` unpaid months of the membership, oldest first (its arrears, then today's
    month on), paid with one receipt of exactly what they owe, all or nothing: months already paid or
    waived are skipped, missing ones are created at the tariff of their month. Coverage follows at once."""
    _check_received_on(receipt, today)
    participant = participants.get(session, participant_id)
    chosen = months_to_pay(session, participant, months, today)
    _record(session, chosen, receipt, today)
    _reevaluate(session, participant_id, today, arrears_months)
    for contribution in chosen:
        session.refresh(contribution)
    return chosen


def months_to_pay(session: Session, participant: Participant, months: int, today: date) -> list[Contribution]:
    """The next ``months`` unpaid months of the membership, oldest first: its arrears, then today's month
    on, up to ``MAX_PREPAY_MONTHS`` ahead. Months already paid or waived are skipped; missing ones are
    created at the tariff of their month (as monthly generation would). 409 when the membership has
    ended or fewer months are left before the horizon."""
    if not 1 <= months <= MAX_PREPAY_MONTHS:
        raise InvalidInput(
            f"Bayar di muka 1-{MAX_PREPAY_MONTHS} bulan. / Prepay 1-{MAX_PREPAY_MONTHS} months.",
            code="invalid_prepay_months",
            errors=[{"field": "months", "message": f"1-{MAX_PREPAY_MONTHS}", "type": "invalid_prepay_months"}],
        )
    coverage.ensure_payable(participant, month_start(today))
    candidates = unpaid_ahead(session, participant, today)[:months]
    if len(candidates) < months:
        horizon = add_months(month_start(today), MAX_PREPAY_MONTHS)
        raise Conflict(
            f"Hanya {len(candidates)} bulan yang bisa dibayar di muka sampai {horizon:%Y-%m}. / "
            f"Only {len(candidates)} months can be prepaid up to {horizon:%Y-%m}.",
            code="prepay_beyond_horizon",
        )
    try:
        return [found or _create(session, participant, period) for period, found in candidates]
    except IntegrityError as exc:
        raise Conflict(  # monthly generation created one of these months meanwhile
            "Iuran berubah saat diproses; tidak ada yang dibayar, ulangi. / "
            "Contributions changed meanwhile; nothing was paid, try again.",
            code="contribution_changed",
        ) from exc


def unpaid_ahead(session: Session, participant: Participant, today: date) -> list[tuple[date, Contribution | None]]:
    """The months money would pay next, oldest first, up to ``MAX_PREPAY_MONTHS`` of them: the arrears of
    the membership, then today's month on, up to ``MAX_PREPAY_MONTHS`` months ahead; each with its
    contribution, or None when it is not generated yet. Paid and waived months are skipped."""
    horizon = add_months(month_start(today), MAX_PREPAY_MONTHS)
    start = min(month_start(today), _oldest_due(session, participant) or horizon)
    existing = {
        c.period: c
        for c in session.exec(
            select(Contribution).where(
                Contribution.participant_id == participant.id,
                col(Contribution.period) >= start,
                col(Contribution.period) <= horizon,
            )
        ).all()
    }
    out: list[tuple[date, Contribution | None]] = []
    period = start
    while len(out) < MAX_PREPAY_MONTHS and period <= horizon:
        found = existing.get(period)
        if found is None or found.status == ContributionStatus.due:
            out.append((period, found))
        period = add_months(period, 1)
    return out


def price_ahead(session: Session, participant: Participant, today: date) -> list[tuple[date, int]]:
    """``unpaid_ahead`` with what each month owes (a month not generated yet at its month's tariff)."""
    assert participant.id is not None
    out = []
    for period, found in unpaid_ahead(session, participant, today):
        if found is not None:
            out.append((period, found.amount_due - found.amount_paid))
        else:
            payer, _ = payer_of(session, participant.id, period)
            out.append((period, quote_month(session, load_tariff(session, period), participant, payer).total))
    return out


def arrears(session: Session, participant: Participant, today: date) -> list[Contribution]:
    """The months of the membership already due (their due date has come) and not paid, oldest first."""
    return list(
        session.exec(
            select(Contribution)
            .where(
                Contribution.participant_id == participant.id,
                Contribution.status == ContributionStatus.due,
                col(Contribution.period) >= participant.membership_from,
                col(Contribution.due_date) <= today,
            )
            .order_by(col(Contribution.period))
        ).all()
    )


def _oldest_due(session: Session, participant: Participant) -> date | None:
    """The oldest month of the current membership still due (older ones belong to an ended one)."""
    return session.exec(
        select(func.min(Contribution.period)).where(
            Contribution.participant_id == participant.id,
            Contribution.status == ContributionStatus.due,
            col(Contribution.period) >= participant.membership_from,
        )
    ).one()


def _reevaluate(session: Session, participant_id: int, today: date, arrears_months: int) -> None:
    """Money reached a month: the participant's coverage follows at once, in this transaction."""
    session.flush()
    evaluate_participant(session.connection(), participant_id, today, arrears_months)
    participant = session.get(Participant, participant_id)
    if participant is not None:
        session.refresh(participant)


def _record(session: Session, chosen: list[Contribution], receipt: ReceiptIn, today: date) -> None:
    receipts.record(
        session,
        channel=receipt.channel,
        number=receipt.number,
        amount=receipt.amount,
        received_on=receipt.received_on,
        contributions=chosen,
        recorded_by=receipt.recorded_by,
        today=today,
    )


def _ensure_due(contribution: Contribution) -> None:
    if contribution.status == ContributionStatus.paid:
        raise Conflict(
            f"Iuran {contribution.id} sudah dibayar pada {contribution.paid_on}. / "
            f"Contribution {contribution.id} was already paid on {contribution.paid_on}.",
            code="contribution_already_paid",
        )
    if contribution.status == ContributionStatus.waived:
        raise Conflict(
            f"Iuran {contribution.id} sudah dihapuskan. / Contribution {contribution.id} was waived.",
            code="contribution_waived",
        )


def record_offline_payment(
    session: Session, contribution_id: int, receipt: ReceiptIn, today: date, arrears_months: int
) -> Contribution:
    """A due contribution paid in cash or by transfer, with its receipt of exactly what it owes; 409
    when not due, when it belongs to an ended membership, or when an older month of the membership is
    still due (money pays the oldest month first). A debit of it still at the gateway may succeed
    too: its money is then credit. Coverage follows at once."""
    _check_received_on(receipt, today)
    contribution = get(session, contribution_id)
    participant = _payable(session, contribution)
    _ensure_due(contribution)
    oldest = _oldest_due(session, participant)
    if oldest is not None and oldest < contribution.period:
        raise Conflict(
            f"Bayar dulu iuran {oldest:%Y-%m} yang lebih lama. / Pay the older month {oldest:%Y-%m} first.",
            code="older_month_due",
        )
    _record(session, [contribution], receipt, today)
    _reevaluate(session, contribution.participant_id, today, arrears_months)
    session.refresh(contribution)
    return contribution


def _payable(session: Session, contribution: Contribution) -> Participant:
    participant = participants.get(session, contribution.participant_id)
    coverage.ensure_payable(participant, contribution.period)
    return participant


def waive(session: Session, contribution_id: int, reason: str, today: date, arrears_months: int) -> Contribution:
    """What a due contribution still owes is no longer owed (written off); only a due one of the
    current membership can be waived, and nothing planned for it is sent. A debit of it still at the
    gateway may succeed: its money is then the participant's credit. Coverage follows at once."""
    contribution = get(session, contribution_id)
    _payable(session, contribution)
    _ensure_due(contribution)
    conn = session.connection()
    rest = settle.waive(conn, contribution_id, reason)
    if rest is None:
        session.expire_all()
        _ensure_due(get(session, contribution_id))
        raise Conflict(
            "Iuran berubah saat diproses. / The contribution changed meanwhile.", code="contribution_changed"
        )
    n = conn.execute(
        text("SELECT COUNT(*) FROM ledger_transfer WHERE contribution_id = :c AND kind = 'write_off'"),
        {"c": contribution_id},
    ).scalar_one()
    post(
        conn,
        f"waive:{contribution_id}:{n + 1}",
        TransferKind.write_off,
        Account.write_off,
        Account.contributions_receivable,
        rest,
        today,
        participant_id=contribution.participant_id,
        contribution_id=contribution_id,
    )
    cancel_unsent(conn, [contribution_id], CancelReason.contribution_settled, today)
    _reevaluate(session, contribution.participant_id, today, arrears_months)
    session.refresh(contribution)
    return contribution
