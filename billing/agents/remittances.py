"""The agents' cash to be remitted, and remittances: finance records the cash an agent handed in (with
the bank's reference); it moves from the agents' cash to the bank account on the ledger
(``remittance:<id>``: ``bank_transfer`` debited, ``cash_agent`` credited). An agent's cash held is what
they collected less what they remitted; a remittance of more than that is refused."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from billing.agents.models import AgentCollection, AgentRemittance
from billing.audit.service import record
from billing.auth.models import ApiUser, Role
from billing.db import lock_rows
from billing.errors import Conflict, InvalidInput, NotFound
from billing.ledger.models import Account, TransferKind
from billing.ledger.service import post


@dataclass(frozen=True)
class AgentCash:
    agent_id: int
    name: str
    login: str | None
    collected: int
    commission: int
    remitted: int

    @property
    def held(self) -> int:
        return self.collected - self.remitted


def _sums(session: Session, agent_id: int | None = None) -> dict[int, tuple[int, int, int]]:
    collected = select(
        AgentCollection.agent_id, func.sum(AgentCollection.amount), func.sum(AgentCollection.commission)
    ).group_by(col(AgentCollection.agent_id))
    remitted = select(AgentRemittance.agent_id, func.sum(AgentRemittance.amount)).group_by(
        col(AgentRemittance.agent_id)
    )
    if agent_id is not None:
        collected = collected.where(AgentCollection.agent_id == agent_id)
        remitted = remitted.where(AgentRemittance.agent_id == agent_id)
    out: dict[int, tuple[int, int, int]] = {}
    for agent, amount, commission in session.exec(collected).all():
        out[agent] = (int(amount), int(commission), 0)
    for agent, amount in session.exec(remitted).all():
        got, commission, _ = out.get(agent, (0, 0, 0))
        out[agent] = (got, commission, int(amount))
    return out


def cash_by_agent(session: Session) -> list[AgentCash]:
    """Every agent (revoked ones too while they hold cash), the most cash held first."""
    sums = _sums(session)
    agents = session.exec(select(ApiUser).where(ApiUser.role == Role.agent).order_by(col(ApiUser.id))).all()
    out = []
    for a in agents:
        assert a.id is not None
        got, commission, remitted = sums.get(a.id, (0, 0, 0))
        if a.revoked_at is None or got != remitted:
            out.append(AgentCash(a.id, a.name, a.username or a.email, got, commission, remitted))
    return sorted(out, key=lambda c: (-c.held, c.agent_id))


def cash_of(session: Session, agent_id: int) -> AgentCash:
    agent = session.get(ApiUser, agent_id)
    if agent is None or agent.role is not Role.agent:
        raise NotFound(f"Agen {agent_id} tidak ditemukan. / Agent {agent_id} not found.", code="agent_not_found")
    got, commission, remitted = _sums(session, agent_id).get(agent_id, (0, 0, 0))
    return AgentCash(agent_id, agent.name, agent.username or agent.email, got, commission, remitted)


def remit(
    session: Session,
    *,
    agent_id: int,
    amount: int,
    reference: str,
    received_on: date,
    by: ApiUser,
    today: date,
) -> AgentRemittance:
    """Record cash an agent handed in; audited. Flushes."""
    assert by.id is not None
    if received_on > today:
        raise InvalidInput(
            "Tanggal setor tidak boleh di masa depan. / The remittance date cannot be in the future.",
            code="received_on_in_future",
            errors=[{"field": "received_on", "message": "in the future", "type": "received_on_in_future"}],
        )
    cash_of(session, agent_id)  # 404 for anyone but an agent
    # Remittances of one agent one at a time: two clerks cannot both take the same cash.
    lock_rows(session.connection(), "api_user", "id = :a", {"a": agent_id})
    held = cash_of(session, agent_id).held
    if amount > held:
        raise Conflict(
            f"Agen ini hanya memegang Rp {held:,} tunai. / This agent holds only Rp {held:,} in cash.".replace(
                ",", "."
            ),
            code="remittance_exceeds_cash",
        )
    remittance = AgentRemittance(
        agent_id=agent_id, amount=amount, reference=reference, received_on=received_on, recorded_by=by.id
    )
    session.add(remittance)
    session.flush()
    assert remittance.id is not None
    post(
        session.connection(),
        f"remittance:{remittance.id}",
        TransferKind.remittance,
        Account.bank_transfer,
        Account.cash_agent,
        amount,
        today,
    )
    record(
        session,
        action="agents.remittance",
        target=("api_user", agent_id),
        user=by,
        after={"remittance_id": remittance.id, "amount": amount, "reference": reference, "held_before": held},
    )
    return remittance
