"""An agent's cash collection: one of their workers pays one or more months, oldest first (the arrears,
then today's month on), in cash. It is an ordinary receipt on the ``agent`` channel, recorded by the
contributions' own prepayment service (money rules, cancelled unsent debits, coverage at once), with a
number the system issues (``PRS-<agent>-<n>``, unique per channel); the worker is sent the number by
notice. The agent's commission on it is posted beside it (commission expense to commission payable) at
the rate in force that day, kept on the collection.

The form carries a nonce, unique per agent: the same form submitted twice (a double tap, a reload)
finds the first collection and records nothing more. Months whose auto-debit the gateway holds now are
refused (409 ``debit_in_flight``): the cash would only become credit."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from billing.agents.models import AgentCollection
from billing.agents.workers import worker_of
from billing.audit.service import record
from billing.auth.models import ApiUser
from billing.contributions import service as contributions
from billing.db import lock_rows
from billing.debits.pay_now import NONCE, refuse_in_flight
from billing.errors import InvalidInput, NotFound
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import post
from billing.notices import service as notices
from billing.notices.models import NoticeKind
from billing.participants.models import Participant
from billing.payments.models import Receipt, ReceiptChannel
from billing.settings import Settings


@dataclass(frozen=True)
class CollectAsk:
    participant_id: int
    months: int
    nonce: str  # the form's (or the API client's): the same one twice is one collection


def rate_bp(settings: Settings) -> int:
    """The commission rate in force, in basis points (7.5% is 750)."""
    return int(settings.agent_commission_percent * 100)


def commission_of(amount: int, bp: int) -> int:
    """Whole rupiah, rounded half up: 7.5% of Rp 16,800 is Rp 1,260."""
    return int((Decimal(amount) * bp / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _number(session: Session, agent_id: int) -> str:
    """The agent's next receipt number; the caller holds the agent's lock."""
    done = session.exec(select(func.count()).where(AgentCollection.agent_id == agent_id)).one()
    return f"PRS-{agent_id}-{int(done) + 1:05d}"


def collect(session: Session, agent: ApiUser, ask: CollectAsk, settings: Settings, today: date) -> AgentCollection:
    """Record the cash (or find the collection this nonce recorded before). Flushes; the caller commits."""
    assert agent.id is not None
    if not NONCE.fullmatch(ask.nonce):
        raise InvalidInput("Formulir tidak valid; muat ulang. / The form is invalid; reload it.", code="bad_nonce")
    worker_of(session, agent.id, ask.participant_id)
    conn = session.connection()
    # One collection of an agent at a time (their receipt numbers follow each other): a second tap waits
    # here, then finds the first.
    lock_rows(conn, "api_user", "id = :a", {"a": agent.id})
    found = session.exec(
        select(AgentCollection).where(AgentCollection.agent_id == agent.id, AgentCollection.nonce == ask.nonce)
    ).first()
    if found is not None:
        return found
    lock_rows(conn, "participant", "id = :p", {"p": ask.participant_id})
    participant = session.get(Participant, ask.participant_id)
    assert participant is not None
    chosen = contributions.months_to_pay(session, participant, ask.months, today)
    refuse_in_flight(session, chosen)
    amount = sum(c.amount_due - c.amount_paid for c in chosen)
    number = _number(session, agent.id)
    received = contributions.ReceiptIn(
        number=number, channel=ReceiptChannel.agent, amount=amount, received_on=today, recorded_by=str(agent.id)
    )
    paid = contributions.prepay(session, ask.participant_id, ask.months, received, today, settings.arrears_months)
    receipt = session.exec(
        select(Receipt).where(Receipt.channel == ReceiptChannel.agent, Receipt.number == number)
    ).one()
    assert receipt.id is not None
    bp = rate_bp(settings)
    collection = AgentCollection(
        agent_id=agent.id,
        participant_id=ask.participant_id,
        receipt_id=receipt.id,
        nonce=ask.nonce,
        amount=amount,
        periods=[f"{c.period:%Y-%m}" for c in paid],
        collected_on=today,
        commission_bp=bp,
        commission=commission_of(amount, bp),
    )
    session.add(collection)
    session.flush()
    assert collection.id is not None
    if collection.commission > 0:
        post(
            conn,
            f"commission:{collection.id}",
            TransferKind.commission,
            Account.commission_expense,
            Account.commission_payable,
            collection.commission,
            today,
            participant_id=ask.participant_id,
            receipt_id=receipt.id,
        )
    notices.queue(
        conn,
        ask.participant_id,
        NoticeKind.cash_received,
        f"cash_received:{receipt.id}",
        {
            "number": number,
            "amount": amount,
            "first": paid[0].period.isoformat(),
            "last": paid[-1].period.isoformat(),
            "agent": agent.name,
        },
    )
    record(
        session,
        action="agent.collected",
        target=("agent_collection", collection.id),
        user=agent,
        after={
            "participant_id": ask.participant_id,
            "receipt": number,
            "amount": amount,
            "periods": collection.periods,
            "commission": collection.commission,
            "commission_bp": bp,
        },
    )
    return collection


@dataclass(frozen=True)
class Collected:
    """A collection as its receipt page shows it."""

    collection: AgentCollection
    number: str
    worker: Participant


def of_agent(session: Session, agent_id: int, collection_id: int) -> Collected:
    """One of the agent's collections; 404 for anyone else's (we do not say it exists)."""
    row = session.exec(
        select(AgentCollection, Receipt.number, Participant)
        .join(Receipt, col(Receipt.id) == AgentCollection.receipt_id)
        .join(Participant, col(Participant.id) == AgentCollection.participant_id)
        .where(AgentCollection.id == collection_id, AgentCollection.agent_id == agent_id)
    ).first()
    if row is None:
        raise NotFound("Setoran tidak ditemukan. / Collection not found.", code="collection_not_found")
    return Collected(*row)


def recent(session: Session, agent_id: int, participant_id: int | None = None, limit: int = 50) -> list[Collected]:
    """The agent's collections, newest first (of one worker when ``participant_id`` is given)."""
    stmt = (
        select(AgentCollection, Receipt.number, Participant)
        .join(Receipt, col(Receipt.id) == AgentCollection.receipt_id)
        .join(Participant, col(Participant.id) == AgentCollection.participant_id)
        .where(AgentCollection.agent_id == agent_id)
    )
    if participant_id is not None:
        stmt = stmt.where(AgentCollection.participant_id == participant_id)
    rows = session.exec(stmt.order_by(col(AgentCollection.id).desc()).limit(limit)).all()
    return [Collected(*row) for row in rows]
