"""An agent's workers: the participants they enrolled on the spot. An agent sees only their own; anyone
else's is 404, as for a participant that does not exist."""

from datetime import date

from sqlmodel import Session, col, select

from billing.agents.models import AgentEnrolment
from billing.audit.service import record
from billing.auth.models import ApiUser
from billing.errors import NotFound
from billing.participants import service as participants
from billing.participants.models import EnrolmentSource, Participant
from billing.participants.schemas import ParticipantCreate


def enrol(session: Session, agent: ApiUser, data: ParticipantCreate, today: date) -> Participant:
    """Enrol the worker whose phone a code proved (``billing.participants.online``), as the agent's
    worker; audited. Flushes."""
    assert agent.id is not None
    data = data.model_copy(update={"enrolment_source": EnrolmentSource.agent})
    participant = participants.enrol(session, data, today)
    assert participant.id is not None
    session.add(AgentEnrolment(participant_id=participant.id, agent_id=agent.id))
    session.flush()
    record(
        session,
        action="agent.enrolled",
        target=("participant", participant.id),
        user=agent,
        after={"agent_id": agent.id, "region_code": data.region_code, "programs": list(data.programs)},
    )
    return participant


def worker_of(session: Session, agent_id: int, participant_id: int) -> Participant:
    """One of the agent's workers; 404 for anyone else's."""
    mine = session.exec(
        select(AgentEnrolment.participant_id).where(
            AgentEnrolment.participant_id == participant_id, AgentEnrolment.agent_id == agent_id
        )
    ).first()
    if mine is None:
        raise NotFound(
            f"Peserta {participant_id} tidak ditemukan. / Participant {participant_id} not found.",
            code="participant_not_found",
        )
    return participants.get(session, participant_id)


def workers_of(session: Session, agent_id: int, limit: int = 200) -> list[Participant]:
    """The agent's workers, the latest enrolled first."""
    return list(
        session.exec(
            select(Participant)
            .join(AgentEnrolment, col(AgentEnrolment.participant_id) == Participant.id)
            .where(AgentEnrolment.agent_id == agent_id)
            .order_by(col(AgentEnrolment.created_at).desc(), col(Participant.id).desc())
            .limit(limit)
        ).all()
    )
