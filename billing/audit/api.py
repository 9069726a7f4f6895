"""``/api/v1/audit``: the audit trail, newest first, for admins and finance."""

from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.audit import service
from billing.audit.schemas import AuditOut, AuditPage, AuditQuery
from billing.auth.guard import roles
from billing.auth.models import Role
from billing.settings import current

tag = Tag(name="audit", description="Jejak audit / Audit trail")
bp = APIBlueprint("audit", __name__, url_prefix="/api/v1/audit", abp_tags=[tag])


@bp.get("", responses={200: AuditPage})
@roles(Role.admin, Role.finance)
def list_audit(query: AuditQuery):  # type: ignore[no-untyped-def]
    """Catatan audit, terbaru dulu, per halaman kunci / Audit records, newest first, keyset-paginated"""
    rows, cursor = service.page(db.session(), query.to_filter(current().timezone), query.cursor, query.limit)
    return AuditPage(items=[AuditOut.of(r) for r in rows], next_cursor=cursor).model_dump(mode="json")
