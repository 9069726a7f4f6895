from flask_openapi3 import APIBlueprint, Tag
from sqlmodel import col, or_, select

from billing import db
from billing.auth.guard import STAFF, current_user, roles, visible_participant
from billing.auth.models import Role
from billing.gateways.registry import app_gateway
from billing.ledger.models import Account, LedgerTransfer
from billing.ledger.service import credit_balance
from billing.participants import service as participants
from billing.participants.schemas import ParticipantPath
from billing.payments import refunds
from billing.payments.models import Refund
from billing.payments.schemas import CreditOut, CreditTransferOut, RefundCreate, RefundList, RefundOut
from billing.settings import today

tag = Tag(name="credit", description="Kredit peserta dan pengembalian dana / Participant credit and refunds")
bp = APIBlueprint("payments", __name__, url_prefix="/api/v1/participants", abp_tags=[tag])


@bp.get("/<int:participant_id>/credit", responses={200: CreditOut})
@roles(*STAFF, Role.worker)
def get_credit(path: ParticipantPath):  # type: ignore[no-untyped-def]
    """Saldo kredit dan riwayatnya / Credit balance and its history"""
    visible_participant(path.participant_id)
    session = db.session()
    participants.get(session, path.participant_id)
    credit = Account.participant_credit
    rows = session.exec(
        select(LedgerTransfer)
        .where(
            LedgerTransfer.participant_id == path.participant_id,
            or_(LedgerTransfer.debit_account == credit, LedgerTransfer.credit_account == credit),
        )
        .order_by(col(LedgerTransfer.posted_on).desc(), col(LedgerTransfer.created_at).desc())
        .limit(200)
    ).all()
    balance = credit_balance(session.connection(), path.participant_id)
    out = CreditOut(
        participant_id=path.participant_id,
        balance=balance,
        transfers=[CreditTransferOut.model_validate(r) for r in rows],
    )
    return out.model_dump(mode="json")


@bp.get("/<int:participant_id>/refunds", responses={200: RefundList})
@roles(*STAFF, Role.worker)
def list_refunds(path: ParticipantPath):  # type: ignore[no-untyped-def]
    """Pengembalian dana peserta / A participant's refunds"""
    visible_participant(path.participant_id)
    session = db.session()
    participants.get(session, path.participant_id)
    rows = session.exec(
        select(Refund).where(Refund.participant_id == path.participant_id).order_by(col(Refund.id).desc())
    ).all()
    return RefundList(items=[RefundOut.model_validate(r) for r in rows]).model_dump(mode="json")


@bp.post("/<int:participant_id>/refunds", responses={201: RefundList})
@roles(Role.admin, Role.finance)
def create_refund(path: ParticipantPath, body: RefundCreate):  # type: ignore[no-untyped-def]
    """Kembalikan kredit: lewat gateway atau tunai / Refund credit: through the gateway or in cash"""
    session = db.session()
    participants.get(session, path.participant_id)
    day = today()
    ask = refunds.RefundAsk(
        participant_id=path.participant_id,
        amount=body.amount,
        method=body.method,
        reason=body.reason,
        requested_by=str(current_user().id),
        receipt_number=body.receipt_number,
    )
    made = refunds.request(session, ask, day)
    # A refund is a money movement in two steps, like a debit: it exists (its credit set aside) before
    # the gateway is asked, so a crash between the two leaves it for the settlement job to send again.
    db.commit(session)
    for refund in made:
        if refund.gateway:
            refunds.execute(session, app_gateway(refund.gateway), refund, day)
    return RefundList(items=[RefundOut.model_validate(r) for r in made]).model_dump(mode="json"), 201
