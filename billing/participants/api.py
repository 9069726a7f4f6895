from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, current_user, roles, visible_participant
from billing.auth.models import Role
from billing.coverage import service as coverage
from billing.participants import changes, service
from billing.participants.schemas import (
    CancelBody,
    ParticipantCreate,
    ParticipantOut,
    ParticipantPage,
    ParticipantPath,
    ParticipantQuery,
    ProfileChangeBody,
    ProfileChangeList,
    ProfileChangeOut,
    ProfileChangeResult,
)
from billing.settings import today

tag = Tag(name="participants", description="Peserta BPU / BPU participants")
bp = APIBlueprint("participants", __name__, url_prefix="/api/v1/participants", abp_tags=[tag])


@bp.post("", responses={201: ParticipantOut})
@roles(Role.admin, Role.finance)
def enrol(body: ParticipantCreate):  # type: ignore[no-untyped-def]
    """Daftarkan peserta / Enrol a participant"""
    participant = service.enrol(db.session(), body, today())
    return ParticipantOut.model_validate(participant).model_dump(mode="json"), 201


@bp.get("/<int:participant_id>", responses={200: ParticipantOut})
@roles(*STAFF, Role.worker)
def get_participant(path: ParticipantPath):  # type: ignore[no-untyped-def]
    """Lihat peserta / Get a participant"""
    visible_participant(path.participant_id)
    return ParticipantOut.model_validate(service.get(db.session(), path.participant_id)).model_dump(mode="json")


@bp.get("", responses={200: ParticipantPage})
@roles(*STAFF, Role.worker)
def list_participants(query: ParticipantQuery):  # type: ignore[no-untyped-def]
    """Daftar peserta / List participants"""
    user = current_user()
    if user.role is Role.worker:
        # A worker's list holds only their own record.
        rows = [service.get(db.session(), user.participant_id)] if user.participant_id else []
        total = len(rows)
    else:
        rows, total = service.search(db.session(), query)
    return ParticipantPage(
        items=[ParticipantOut.model_validate(r) for r in rows],
        page=query.page,
        per_page=query.per_page,
        total=total,
    ).model_dump(mode="json")


@bp.post("/<int:participant_id>/cancel", responses={200: ParticipantOut})
@roles(Role.admin, Role.finance, Role.worker)
def cancel_participant(path: ParticipantPath, body: CancelBody):  # type: ignore[no-untyped-def]
    """Berhenti sukarela; mandat dicabut / Leave voluntarily; the mandate is revoked"""
    visible_participant(path.participant_id)
    session = db.session()
    participant = service.get(session, path.participant_id)
    coverage.cancel(session, participant, today(), f"user:{current_user().id}", body.reason)
    return ParticipantOut.model_validate(participant).model_dump(mode="json")


@bp.post("/<int:participant_id>/reregister", responses={200: ParticipantOut})
@roles(Role.admin, Role.finance)
def reregister_participant(path: ParticipantPath):  # type: ignore[no-untyped-def]
    """Daftar ulang setelah kepesertaan berakhir / Register again after membership ended"""
    session = db.session()
    participant = service.get(session, path.participant_id)
    coverage.reregister(session, participant, today())
    return ParticipantOut.model_validate(participant).model_dump(mode="json")


@bp.patch("/<int:participant_id>", responses={200: ProfileChangeResult})
@roles(Role.admin, Role.finance, Role.worker)
def change_profile(path: ParticipantPath, body: ProfileChangeBody):  # type: ignore[no-untyped-def]
    """Ubah penghasilan atau program mulai suatu bulan / Change income or programmes from a month on"""
    visible_participant(path.participant_id)
    session = db.session()
    participant = service.get(session, path.participant_id)
    row, repriced = changes.change(session, participant, body, f"user:{current_user().id}", today())
    out = ProfileChangeResult(**ProfileChangeOut.model_validate(row).model_dump(), repriced=repriced)
    return out.model_dump(mode="json")


@bp.get("/<int:participant_id>/profile-changes", responses={200: ProfileChangeList})
@roles(*STAFF, Role.worker)
def list_profile_changes(path: ParticipantPath):  # type: ignore[no-untyped-def]
    """Riwayat perubahan penghasilan dan program / History of income and programme changes"""
    visible_participant(path.participant_id)
    session = db.session()
    service.get(session, path.participant_id)
    items = [ProfileChangeOut.model_validate(c) for c in changes.history(session, path.participant_id)]
    return ProfileChangeList(items=items).model_dump(mode="json")
