"""The agents' API: an agent's own workers, cash collections and commission statement (``/agent/…``, role
``agent``, their own rows only: anyone else's is 404); finance's view of the agents' cash and the
remittances it records (``/agents/…``)."""

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from sqlmodel import Session

from billing import db
from billing.agents import collections, commission, enrolment, remittances, workers
from billing.agents.collections import Collected
from billing.agents.schemas import (
    AgentCashList,
    AgentCashOut,
    AgentPath,
    CollectionCreate,
    CollectionOut,
    CollectionPath,
    EnrolmentConfirm,
    EnrolmentPath,
    EnrolmentStarted,
    RemittanceCreate,
    RemittanceOut,
    StatementOut,
    StatementQuery,
    WorkerList,
    WorkerOut,
    WorkerPath,
)
from billing.auth.browser import now
from billing.auth.guard import current_user, roles
from billing.auth.models import Role
from billing.otp import service as otp
from billing.otp.senders import app_sender
from billing.participants.models import Participant
from billing.participants.schemas import ParticipantCreate
from billing.settings import current, today

tag = Tag(name="agents", description="Agen Perisai: pendaftaran, setoran tunai, komisi / Perisai agents")
bp = APIBlueprint("agents", __name__, url_prefix="/api/v1", abp_tags=[tag])
FINANCE = (Role.admin, Role.finance)


def _out(found: Collected, worker: Participant | None = None) -> CollectionOut:
    c = found.collection
    assert c.id is not None
    return CollectionOut(
        id=c.id,
        participant_id=c.participant_id,
        receipt_number=found.number,
        amount=c.amount,
        periods=list(c.periods),
        collected_on=c.collected_on,
        commission_bp=c.commission_bp,
        commission=c.commission,
        participant_status=(worker or found.worker).status,
    )


def _agent_id() -> int:
    user = current_user()
    assert user.id is not None
    return user.id


@bp.get("/agent/workers", responses={200: WorkerList})
@roles(Role.agent)
def list_workers():  # type: ignore[no-untyped-def]
    """Pekerja yang saya daftarkan / The workers I enrolled"""
    rows = workers.workers_of(db.session(), _agent_id())
    return WorkerList(items=[WorkerOut.model_validate(p) for p in rows]).model_dump(mode="json")


@bp.post("/agent/enrolments", responses={202: EnrolmentStarted, 429: None})
@roles(Role.agent)
def start_enrolment(body: ParticipantCreate):  # type: ignore[no-untyped-def]
    """Daftarkan pekerja: kode ke HP pekerja / Enrol a worker: a code to the worker's phone

    Data diperiksa seperti POST /participants; kode 6 digit dikirim ke nomor pekerja. Terlalu banyak
    kode: 429 too_many_sends atau locked, dengan Retry-After. / Checked as POST /participants; a 6-digit
    code goes to the worker's number. Too many codes: 429 too_many_sends or locked, with Retry-After."""
    # Committed on its own: a refused send still counts against the limits.
    with db.unit_of_work(db.engine()) as s:
        issued = enrolment.ask(s, current(), app_sender(), current_user(), body, request.remote_addr, now())
    if isinstance(issued, otp.Refusal):
        raise enrolment.refusal_error(issued, now())
    assert issued.id is not None
    return EnrolmentStarted(challenge_id=issued.id, expires_at=issued.expires_at).model_dump(mode="json"), 202


@bp.post("/agent/enrolments/<int:challenge_id>/confirm", responses={201: WorkerOut, 404: None, 409: None})
@roles(Role.agent)
def confirm_enrolment(path: EnrolmentPath, body: EnrolmentConfirm):  # type: ignore[no-untyped-def]
    """Konfirmasi dengan kode dari HP pekerja / Confirm with the code from the worker's phone

    Kode salah: 422 wrong_code; kedaluwarsa atau terpakai: 409. / A wrong code: 422 wrong_code; expired
    or used: 409."""
    # Committed on its own: a wrong try still counts.
    with db.unit_of_work(db.engine()) as s:
        checked = enrolment.confirm(s, current(), current_user(), path.challenge_id, body.code, now())
    if isinstance(checked, otp.Refusal):
        raise enrolment.refusal_error(checked, now())
    participant = workers.enrol(db.session(), current_user(), checked, today())
    return WorkerOut.model_validate(participant).model_dump(mode="json"), 201


@bp.post("/agent/workers/<int:participant_id>/collections", responses={201: CollectionOut, 404: None, 409: None})
@roles(Role.agent)
def create_collection(path: WorkerPath, body: CollectionCreate):  # type: ignore[no-untyped-def]
    """Catat uang tunai dari pekerja saya / Record cash from one of my workers

    Membayar bulan tertua dulu; nomor kuitansi dari sistem dikirim ke pekerja. Nonce yang sama lagi
    mengembalikan setoran yang sama. / Pays the oldest months first; the system's receipt number is sent to
    the worker. The same nonce again answers the same collection."""
    session: Session = db.session()
    ask = collections.CollectAsk(participant_id=path.participant_id, months=body.months, nonce=body.nonce)
    done = collections.collect(session, current_user(), ask, current(), today())
    assert done.id is not None
    found = collections.of_agent(session, _agent_id(), done.id)
    return _out(found).model_dump(mode="json"), 201


@bp.get("/agent/collections/<int:collection_id>", responses={200: CollectionOut, 404: None})
@roles(Role.agent)
def get_collection(path: CollectionPath):  # type: ignore[no-untyped-def]
    """Satu setoran saya / One of my collections"""
    return _out(collections.of_agent(db.session(), _agent_id(), path.collection_id)).model_dump(mode="json")


@bp.get("/agent/commission", responses={200: StatementOut})
@roles(Role.agent)
def get_statement(query: StatementQuery):  # type: ignore[no-untyped-def]
    """Laporan komisi saya sebulan / My commission statement for a month"""
    month = query.month or today().replace(day=1)
    found = commission.statement(db.session(), _agent_id(), month)
    out = StatementOut(
        agent_id=found.agent_id,
        month=f"{found.month:%Y-%m}",
        collected=found.collected,
        commission=found.commission,
        lines=[_out(line) for line in found.lines],
    )
    return out.model_dump(mode="json")


def _cash(c: remittances.AgentCash) -> AgentCashOut:
    return AgentCashOut(
        agent_id=c.agent_id,
        name=c.name,
        login=c.login,
        collected=c.collected,
        commission=c.commission,
        remitted=c.remitted,
        held=c.held,
    )


@bp.get("/agents/cash", responses={200: AgentCashList})
@roles(*FINANCE)
def list_agent_cash():  # type: ignore[no-untyped-def]
    """Tunai agen yang harus disetor / Agents' cash to be remitted"""
    rows = remittances.cash_by_agent(db.session())
    return AgentCashList(items=[_cash(c) for c in rows]).model_dump(mode="json")


@bp.post("/agents/<int:agent_id>/remittances", responses={201: RemittanceOut, 404: None, 409: None})
@roles(*FINANCE)
def create_remittance(path: AgentPath, body: RemittanceCreate):  # type: ignore[no-untyped-def]
    """Catat setoran tunai agen ke bank / Record an agent's cash handed in to the bank

    Tidak lebih dari tunai yang dipegang agen (409 remittance_exceeds_cash). / No more than the cash the
    agent holds (409 remittance_exceeds_cash)."""
    day = today()
    made = remittances.remit(
        db.session(),
        agent_id=path.agent_id,
        amount=body.amount,
        reference=body.reference,
        received_on=body.received_on or day,
        by=current_user(),
        today=day,
    )
    return RemittanceOut.model_validate(made).model_dump(mode="json"), 201
