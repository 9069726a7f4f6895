"""An agent's commission statement for a month: each cash collection of the month with the rate it
earned (terms change: the rate is the one in force on the day, kept on the collection), and the month's
total, owed to the agent (``commission_payable`` on the ledger)."""

import calendar
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from billing.agents.collections import Collected
from billing.agents.models import AgentCollection
from billing.participants.models import Participant
from billing.payments.models import Receipt


@dataclass(frozen=True)
class Statement:
    agent_id: int
    month: date  # the first day
    lines: list[Collected]  # oldest first

    @property
    def collected(self) -> int:
        return sum(line.collection.amount for line in self.lines)

    @property
    def commission(self) -> int:
        return sum(line.collection.commission for line in self.lines)


def statement(session: Session, agent_id: int, month: date) -> Statement:
    month = month.replace(day=1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    rows = session.exec(
        select(AgentCollection, Receipt.number, Participant)
        .join(Receipt, col(Receipt.id) == AgentCollection.receipt_id)
        .join(Participant, col(Participant.id) == AgentCollection.participant_id)
        .where(AgentCollection.agent_id == agent_id, col(AgentCollection.collected_on).between(month, last))
        .order_by(col(AgentCollection.collected_on), col(AgentCollection.id))
    ).all()
    return Statement(agent_id, month, [Collected(*row) for row in rows])
