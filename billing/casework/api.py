"""The case actions as JSON (finance, admin): retry now, reminders, notes, waiver requests and their
decisions. An offline payment and a mandate's suspension have their routes already
(``/contributions/{id}/offline-payment``, ``/mandates/{id}/suspend|resume``)."""

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from sqlmodel import col, select

from billing import db
from billing.auth.guard import current_user, roles
from billing.casework import actions, approvals
from billing.casework.models import CaseNote, WaiverRequest
from billing.casework.schemas import (
    ActionOut,
    AttemptBrief,
    NoteCreate,
    NoteList,
    NoteOut,
    ReasonBody,
    RetryCreate,
    RetryOut,
    WaiverOut,
    WaiverRequestList,
    WaiverRequestOut,
    WaiverRequestPath,
    WaiverRequestQuery,
)
from billing.casework.sending import commit_and_send
from billing.contributions import service as contributions
from billing.contributions.schemas import ContributionPath

tag = Tag(name="casework", description="Penanganan kasus debit gagal / Failed-debit casework")
bp = APIBlueprint("casework", __name__, url_prefix="/api/v1", abp_tags=[tag])


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


def _action(done: actions.Outcome) -> ActionOut:
    return ActionOut(action=done.action, contribution_id=done.contribution_id, status=done.status, detail=done.detail)


@bp.post("/contributions/<int:contribution_id>/retry", responses={200: RetryOut})
@roles(*actions.ACTORS)
def retry_contribution(path: ContributionPath, body: RetryCreate):  # type: ignore[no-untyped-def]
    """Tarik ulang sekarang: percobaan baru dengan kunci baru / Retry now: a new attempt with a new key

    Dikirim lewat jalur terjaga mesin debit; ditolak bila gagal permanen, melewati batas percobaan, tidak
    terutang, mandat tidak aktif, atau ada penarikan yang sedang berjalan. / Sent through the debit engine's
    guarded path; refused for a hard failure, past the attempt limit, a month not due, a mandate not active, or
    a debit in flight."""
    session = db.session()
    done = actions.retry(
        session, path.contribution_id, current_user(), body.reason, after_attempt=body.expected_attempt_no
    )
    status = commit_and_send(session, done)
    attempt = None
    if status is not None:
        d = done.detail
        attempt = AttemptBrief(
            id=d["attempt_id"],
            attempt_no=d["attempt_no"],
            idempotency_key=d["idempotency_key"],
            amount=d["amount"],
            status=status,
        )
    return _dump(RetryOut(contribution_id=path.contribution_id, status=done.status, attempt=attempt))


@bp.post("/contributions/<int:contribution_id>/reminders", responses={201: ActionOut})
@roles(*actions.ACTORS)
def send_reminder(path: ContributionPath, body: ReasonBody):  # type: ignore[no-untyped-def]
    """Kirim pengingat iuran ke peserta (sekali sehari) / Send the worker a payment reminder (once a day)"""
    done = actions.send_reminder(db.session(), path.contribution_id, current_user(), body.reason)
    return _dump(_action(done)), 201


@bp.get("/contributions/<int:contribution_id>/notes", responses={200: NoteList})
@roles(*actions.ACTORS)
def list_notes(path: ContributionPath):  # type: ignore[no-untyped-def]
    """Catatan staf pada kasus / Staff notes on the case"""
    session = db.session()
    contributions.get(session, path.contribution_id)
    rows = session.exec(
        select(CaseNote).where(CaseNote.contribution_id == path.contribution_id).order_by(col(CaseNote.id))
    ).all()
    return _dump(NoteList(items=[NoteOut.model_validate(r) for r in rows]))


@bp.post("/contributions/<int:contribution_id>/notes", responses={201: NoteOut})
@roles(*actions.ACTORS)
def add_note(path: ContributionPath, body: NoteCreate):  # type: ignore[no-untyped-def]
    """Tambah catatan pada kasus / Add a note to the case"""
    session = db.session()
    done = actions.add_note(session, path.contribution_id, current_user(), body.body)
    return _dump(NoteOut.model_validate(session.get(CaseNote, done.detail["note_id"]))), 201


@bp.post("/contributions/<int:contribution_id>/waiver-requests", responses={200: WaiverOut, 201: WaiverOut})
@roles(*actions.ACTORS)
def request_waiver(path: ContributionPath, body: ReasonBody):  # type: ignore[no-untyped-def]
    """Hapuskan iuran: di atas batas menunggu persetujuan pengguna lain / Waive: above the limit it waits for
    another user's approval

    200: dihapuskan langsung (di bawah BILLING_WAIVER_APPROVAL_ABOVE). 201: permintaan dibuat. / 200: waived at
    once (at or below BILLING_WAIVER_APPROVAL_ABOVE). 201: a request was made."""
    session = db.session()
    done = actions.waive(session, path.contribution_id, current_user(), body.reason)
    if done.status == "waived":
        out = WaiverOut(
            contribution_id=done.contribution_id, status=done.status, written_off=done.detail["written_off"]
        )
        return _dump(out), 200
    request = WaiverRequestOut.model_validate(approvals.get(session, done.detail["waiver_request_id"]))
    return _dump(WaiverOut(contribution_id=done.contribution_id, status=done.status, request=request)), 201


@bp.get("/waiver-requests", responses={200: WaiverRequestList})
@roles(*actions.ACTORS)
def list_waiver_requests(query: WaiverRequestQuery):  # type: ignore[no-untyped-def]
    """Permintaan penghapusan (default: menunggu) / Waiver requests (default: pending)"""
    rows = db.session().exec(
        select(WaiverRequest).where(WaiverRequest.status == query.status).order_by(col(WaiverRequest.id)).limit(500)
    )
    return _dump(WaiverRequestList(items=[WaiverRequestOut.model_validate(r) for r in rows]))


@bp.post("/waiver-requests/<int:request_id>/approve", responses={200: WaiverRequestOut})
@roles(*actions.ACTORS)
def approve_waiver(path: WaiverRequestPath, body: ReasonBody):  # type: ignore[no-untyped-def]
    """Setujui (bukan oleh pembuatnya): iuran dihapuskan / Approve (not by its maker): the month is waived"""
    decided = approvals.approve(db.session(), path.request_id, current_user(), body.reason)
    return _dump(WaiverRequestOut.model_validate(decided.request))


@bp.post("/waiver-requests/<int:request_id>/reject", responses={200: WaiverRequestOut})
@roles(*actions.ACTORS)
def reject_waiver(path: WaiverRequestPath, body: ReasonBody):  # type: ignore[no-untyped-def]
    """Tolak (bukan oleh pembuatnya): iuran tetap terutang / Reject (not by its maker): the month stays due"""
    decided = approvals.reject(db.session(), path.request_id, current_user(), body.reason)
    return _dump(WaiverRequestOut.model_validate(decided.request))
