from datetime import date
from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from sqlmodel import Session

from billing import db
from billing.auth.guard import STAFF, current_user, roles, visible_participant
from billing.auth.models import Role
from billing.contributions import service
from billing.contributions.models import Contribution
from billing.contributions.schemas import (
    ContributionLineOut,
    ContributionOut,
    ContributionPage,
    ContributionPath,
    ContributionQuery,
    OfflinePaymentCreate,
    PrepaymentCreate,
    PrepaymentOut,
    ReceivedMoney,
    WaiveCreate,
)
from billing.errors import Conflict
from billing.participants import service as participants
from billing.participants.schemas import ParticipantPath
from billing.payments.models import ReceiptChannel
from billing.settings import current, today

tag = Tag(name="contributions", description="Iuran bulanan / Monthly contributions")
# Routes live under both /participants/<id>/… and /contributions/<id>/…
bp = APIBlueprint("contributions", __name__, url_prefix="/api/v1", abp_tags=[tag])


def _out(session: Session, rows: list[Contribution]) -> list[ContributionOut]:
    lines = service.lines_of(session, [r.id for r in rows if r.id is not None])
    return [
        ContributionOut.model_validate(r).model_copy(
            update={"lines": [ContributionLineOut.model_validate(li) for li in lines.get(r.id or 0, [])]}
        )
        for r in rows
    ]


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


@bp.get("/participants/<int:participant_id>/contributions", responses={200: ContributionPage})
@roles(*STAFF, Role.worker)
def list_contributions(path: ParticipantPath, query: ContributionQuery):  # type: ignore[no-untyped-def]
    """Iuran seorang peserta / A participant's contributions"""
    visible_participant(path.participant_id)
    session = db.session()
    rows, total = service.list_for_participant(session, path.participant_id, query)
    page = ContributionPage(items=_out(session, rows), page=query.page, per_page=query.per_page, total=total)
    return _dump(page)


def _received(body: ReceivedMoney, on: date) -> service.ReceiptIn:
    return service.ReceiptIn(
        number=body.receipt_number,
        channel=ReceiptChannel(body.channel.value),
        amount=body.amount,
        received_on=on,
        recorded_by=str(current_user().id),
    )


# Money is recorded as paid only by staff who received it, with its receipt: a worker pays through
# the gateway, never by declaring a receipt.
@bp.post("/participants/<int:participant_id>/prepayments", responses={201: PrepaymentOut})
@roles(Role.admin, Role.finance)
def prepay(path: ParticipantPath, body: PrepaymentCreate):  # type: ignore[no-untyped-def]
    """Catat pembayaran di muka 1-12 bulan yang diterima / Record a prepayment of 1-12 months received"""
    session = db.session()
    day = today()
    received = _received(body, body.paid_on or day)
    paid = service.prepay(session, path.participant_id, body.months, received, day, current().arrears_months)
    status = participants.get(session, path.participant_id).status
    return _dump(PrepaymentOut(items=_out(session, paid), total_paid=body.amount, participant_status=status)), 201


@bp.post("/contributions/<int:contribution_id>/offline-payment", responses={200: ContributionOut})
@roles(Role.admin, Role.finance)
def offline_payment(path: ContributionPath, body: OfflinePaymentCreate):  # type: ignore[no-untyped-def]
    """Catat pembayaran tunai/transfer / Record a cash or transfer payment"""
    session = db.session()
    received = _received(body, body.paid_on)
    paid = service.record_offline_payment(session, path.contribution_id, received, today(), current().arrears_months)
    return _dump(_with_status(session, _out(session, [paid])[0]))


@bp.post("/contributions/<int:contribution_id>/waive", responses={200: ContributionOut})
@roles(Role.admin)
def waive(path: ContributionPath, body: WaiveCreate):  # type: ignore[no-untyped-def]
    """Hapuskan iuran / Waive a contribution

    Di atas BILLING_WAIVER_APPROVAL_ABOVE ditolak (409 waiver_needs_approval): ajukan lewat
    /contributions/{id}/waiver-requests. / Above BILLING_WAIVER_APPROVAL_ABOVE it is refused (409
    waiver_needs_approval): ask through /contributions/{id}/waiver-requests."""
    session = db.session()
    owing = service.get(session, path.contribution_id)
    limit = current().waiver_approval_above
    if owing.amount_due - owing.amount_paid > limit:
        # Maker-checker (billing.casework.approvals): no single person writes off more than the limit.
        raise Conflict(
            f"Penghapusan di atas Rp {limit:,} perlu persetujuan pengguna kedua; ajukan permintaan. / A waiver "
            f"above Rp {limit:,} needs a second user's approval; make a request.".replace(",", "."),
            code="waiver_needs_approval",
        )
    waived = service.waive(session, path.contribution_id, body.reason, today(), current().arrears_months)
    return _dump(_with_status(session, _out(session, [waived])[0]))


def _with_status(session: Session, out: ContributionOut) -> ContributionOut:
    """The participant's coverage after the money (or the waiver) was recorded."""
    return out.model_copy(update={"participant_status": participants.get(session, out.participant_id).status})
