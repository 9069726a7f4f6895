"""Which profile prices a month, and pricing a generated month again.

A month is priced by the tariff rows in force for it (``load_tariff(period)``) and by the participant's
profile in force for it: their latest profile change whose ``effective_from`` is not after the month
(the newest row among equal months), else their own columns."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, Subquery, func, text
from sqlmodel import Session, col, select

from billing.contributions.models import Contribution, ContributionStatus
from billing.failed_debits import sync as failed_debits
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import post
from billing.participants.models import Participant, ParticipantProfileChange, SectorCategory
from billing.sponsors.models import Payer
from billing.tariffs.tariff import Quote, Tariff


def changes_in_force(period: date) -> Subquery:
    """Per participant with changes, the one in force for ``period``: participant_id, declared_income, jht."""
    change = ParticipantProfileChange
    rank = func.row_number().over(
        partition_by=change.participant_id,
        order_by=(col(change.effective_from).desc(), col(change.id).desc()),
    )
    ranked = (
        select(change.participant_id, change.declared_income, change.jht, rank.label("rank"))
        .where(change.effective_from <= period)
        .subquery("ranked_change")
    )
    return (
        select(ranked.c.participant_id, ranked.c.declared_income, ranked.c.jht)
        .where(ranked.c.rank == 1)
        .subquery("profile")
    )


def profile_for(session: Session, participant: Participant, period: date) -> tuple[int, bool]:
    """(declared income, JHT) in force for ``period``."""
    change = session.exec(
        select(ParticipantProfileChange)
        .where(
            ParticipantProfileChange.participant_id == participant.id,
            ParticipantProfileChange.effective_from <= period,
        )
        .order_by(col(ParticipantProfileChange.effective_from).desc(), col(ParticipantProfileChange.id).desc())
        .limit(1)
    ).first()
    if change is None:
        return participant.declared_income, participant.jht
    return change.declared_income, change.jht


def quote_month(session: Session, tariff: Tariff, participant: Participant, payer: Payer) -> Quote:
    income, jht = profile_for(session, participant, tariff.period)
    return tariff.quote(income, jht, SectorCategory(participant.sector_category), payer)


_PRICE = """
UPDATE contribution SET amount_due = :due, amount_paid = amount_paid - :excess,
    status = CASE WHEN amount_paid - :excess >= :due THEN 'paid' ELSE 'due' END
WHERE id = :cid AND status IN ('due', 'paid') AND amount_due = :was
"""


def set_price(
    conn: Connection,
    contribution: Contribution,
    quote: Quote,
    today: date,
    excess_key: str,
) -> int | None:
    """Price a due or paid month at ``quote``: its lines and amount due. Money paid beyond the new price
    goes to the participant's credit under ``excess_key`` (posted once). Returns that excess, or None
    (nothing written) when the month no longer has the price read; the caller cancels the month's
    unsent attempts."""
    assert contribution.id is not None
    excess = max(0, contribution.amount_paid - quote.total)
    params = {"cid": contribution.id, "due": quote.total, "excess": excess, "was": contribution.amount_due}
    if not conn.execute(text(_PRICE), params).rowcount:
        return None
    failed_debits.months(conn, [contribution.id])
    conn.execute(text("DELETE FROM contribution_line WHERE contribution_id = :cid"), {"cid": contribution.id})
    conn.execute(
        text(
            "INSERT INTO contribution_line (contribution_id, program, base_amount, discount_amount, amount)"
            " VALUES (:cid, :program, :base, :off, :amount)"
        ),
        [
            {
                "cid": contribution.id,
                "program": line.program.value,
                "base": line.base_amount,
                "off": line.discount_amount,
                "amount": line.amount,
            }
            for line in quote.lines
        ],
    )
    if excess:
        post(
            conn,
            excess_key,
            TransferKind.repriced,
            Account.contributions_receivable,
            Account.participant_credit,
            excess,
            today,
            participant_id=contribution.participant_id,
            contribution_id=contribution.id,
        )
    return excess


def due_from(session: Session, participant_id: int, since: date) -> Sequence[Contribution]:
    """The participant's generated months from ``since`` still due, oldest first."""
    return session.exec(
        select(Contribution)
        .where(
            Contribution.participant_id == participant_id,
            Contribution.period >= since,
            Contribution.status == ContributionStatus.due,
        )
        .order_by(col(Contribution.period))
    ).all()
