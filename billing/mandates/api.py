from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, current_user, roles, visible_participant
from billing.auth.models import Role
from billing.errors import NotFound
from billing.gateways.registry import app_gateway
from billing.mandates import binding, service
from billing.mandates.lifecycle import MandateAction
from billing.mandates.models import Mandate
from billing.mandates.schemas import (
    MandateCreate,
    MandateEventList,
    MandateEventOut,
    MandateOut,
    MandatePage,
    MandatePath,
    MandateQuery,
    MandateUpdate,
    TransitionBody,
)
from billing.settings import today

tag = Tag(name="mandates", description="Mandat autodebet / Auto-debit mandates")
bp = APIBlueprint("mandates", __name__, url_prefix="/api/v1/mandates", abp_tags=[tag])

# Managers read only; a worker acts on their own participant's mandates (not on activation,
# which only the gateway's/OTP's confirmation, relayed by staff, may trigger).
WRITERS = (Role.admin, Role.finance, Role.worker)


def _actor() -> str:
    return str(current_user().id)


def _visible(mandate: Mandate) -> Mandate:
    """A worker sees only their participant's mandates; any other (or a sponsor's) is 'not found'."""
    user = current_user()
    if user.role == Role.worker and (mandate.participant_id is None or mandate.participant_id != user.participant_id):
        raise NotFound(
            f"Mandat {mandate.id} tidak ditemukan. / Mandate {mandate.id} not found.", code="mandate_not_found"
        )
    return mandate


def _hide_sponsors_from_workers(sponsor_id: int | None) -> None:
    if sponsor_id is not None and current_user().role == Role.worker:
        raise NotFound(
            f"Sponsor {sponsor_id} tidak ditemukan. / Sponsor {sponsor_id} not found.", code="sponsor_not_found"
        )


def _out(mandate: Mandate) -> dict[str, Any]:
    return MandateOut.model_validate(mandate).model_dump(mode="json")


def _load(mandate_id: int) -> Mandate:
    return _visible(service.get(db.session(), mandate_id))


@bp.post("", responses={201: MandateOut})
@roles(*WRITERS)
def create_mandate(body: MandateCreate):  # type: ignore[no-untyped-def]
    """Buat mandat (status pending) / Create a mandate (pending)"""
    _hide_sponsors_from_workers(body.sponsor_id)
    if body.participant_id is not None:
        visible_participant(body.participant_id)
    return _out(service.create(db.session(), body, _actor(), today())), 201


@bp.get("/<int:mandate_id>", responses={200: MandateOut})
@roles(*STAFF, Role.worker)
def get_mandate(path: MandatePath):  # type: ignore[no-untyped-def]
    """Lihat mandat / Get a mandate"""
    return _out(_load(path.mandate_id))


@bp.get("", responses={200: MandatePage})
@roles(*STAFF, Role.worker)
def list_mandates(query: MandateQuery):  # type: ignore[no-untyped-def]
    """Daftar mandat / List mandates"""
    user = current_user()
    if user.role == Role.worker:
        _hide_sponsors_from_workers(query.sponsor_id)
        if query.participant_id is not None:
            visible_participant(query.participant_id)
        query = query.model_copy(update={"participant_id": user.participant_id})
    rows, total = service.search(db.session(), query)
    return MandatePage(
        items=[MandateOut.model_validate(m) for m in rows], page=query.page, per_page=query.per_page, total=total
    ).model_dump(mode="json")


@bp.patch("/<int:mandate_id>", responses={200: MandateOut})
@roles(*WRITERS)
def update_mandate(path: MandatePath, body: MandateUpdate):  # type: ignore[no-untyped-def]
    """Ubah tanggal debit atau metode pembayaran / Change the debit day or payment details"""
    _load(path.mandate_id)
    return _out(service.update(db.session(), path.mandate_id, body, _actor(), today()))


def _transition(mandate_id: int, action: MandateAction, body: TransitionBody) -> dict[str, Any]:
    _load(mandate_id)
    return _out(service.transition(db.session(), mandate_id, action, body.reason, _actor(), today()))


@bp.post("/<int:mandate_id>/activate", responses={200: MandateOut})
@roles(Role.admin, Role.finance)
def activate_mandate(path: MandatePath, body: TransitionBody):  # type: ignore[no-untyped-def]
    """Aktifkan setelah gateway/OTP mengonfirmasi persetujuan / Activate once the gateway/OTP confirmed consent"""
    return _transition(path.mandate_id, MandateAction.activate, body)


@bp.post("/<int:mandate_id>/suspend", responses={200: MandateOut})
@roles(*WRITERS)
def suspend_mandate(path: MandatePath, body: TransitionBody):  # type: ignore[no-untyped-def]
    """Tangguhkan / Suspend"""
    return _transition(path.mandate_id, MandateAction.suspend, body)


@bp.post("/<int:mandate_id>/resume", responses={200: MandateOut})
@roles(*WRITERS)
def resume_mandate(path: MandatePath, body: TransitionBody):  # type: ignore[no-untyped-def]
    """Aktifkan kembali / Resume"""
    return _transition(path.mandate_id, MandateAction.resume, body)


@bp.post("/<int:mandate_id>/revoke", responses={200: MandateOut})
@roles(*WRITERS)
def revoke_mandate(path: MandatePath, body: TransitionBody):  # type: ignore[no-untyped-def]
    """Cabut mandat / Revoke"""
    _load(path.mandate_id)
    # As a worker's own stop does: a gateway that keeps the binding (SNAP) forgets it, so the token can
    # never be debited again.
    mandate, _ = binding.revoke_and_unbind(db.session(), path.mandate_id, body.reason, _actor(), today(), app_gateway)
    return _out(mandate)


@bp.get("/<int:mandate_id>/events", responses={200: MandateEventList})
@roles(*STAFF, Role.worker)
def list_mandate_events(path: MandatePath):  # type: ignore[no-untyped-def]
    """Riwayat status mandat / The mandate's status history"""
    _load(path.mandate_id)
    rows = service.events(db.session(), path.mandate_id)
    return MandateEventList(items=[MandateEventOut.model_validate(e) for e in rows]).model_dump(mode="json")
