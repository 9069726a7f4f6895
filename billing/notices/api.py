from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, roles, visible_participant
from billing.auth.models import Role
from billing.notices import service
from billing.notices.models import Notice
from billing.notices.schemas import NoticeOut, NoticePage
from billing.notices.texts import render
from billing.pagination import PageQuery
from billing.participants import service as participants
from billing.participants.schemas import ParticipantPath

tag = Tag(name="notices", description="Pemberitahuan ke peserta / Notices to workers")
bp = APIBlueprint("notices", __name__, url_prefix="/api/v1/participants", abp_tags=[tag])


def _out(notice: Notice) -> NoticeOut:
    try:
        text: str | None = render(notice.kind, notice.params)
    except (KeyError, ValueError):  # params written before a kind's text existed: list it all the same
        text = None
    assert notice.id is not None
    return NoticeOut(
        id=notice.id,
        kind=notice.kind,
        text=text,
        created_at=notice.created_at,
        sent_at=notice.sent_at,
        attempts=notice.attempts,
    )


@bp.get("/<int:participant_id>/notices", responses={200: NoticePage})
@roles(*STAFF, Role.worker)
def list_notices(path: ParticipantPath, query: PageQuery):  # type: ignore[no-untyped-def]
    """Pemberitahuan seorang peserta, terbaru dulu / A participant's notices, newest first"""
    visible_participant(path.participant_id)
    session = db.session()
    participants.get(session, path.participant_id)
    rows, total = service.list_for_participant(session, path.participant_id, query)
    page = NoticePage(items=[_out(r) for r in rows], page=query.page, per_page=query.per_page, total=total)
    return page.model_dump(mode="json")
