"""``/api/v1/debit-attempts``: the failed-debit queue, for finance and admins."""

from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import current_user, roles
from billing.auth.models import Role
from billing.failed_debits import service
from billing.failed_debits.schemas import QueuePage, QueueQuery
from billing.settings import current, today

tag = Tag(name="debit-attempts", description="Antrean debit gagal / Failed-debit queue")
bp = APIBlueprint("debit_attempts", __name__, url_prefix="/api/v1/debit-attempts", abp_tags=[tag])

QUEUE_ROLES = (Role.finance, Role.admin)


def context(user_id: int | None) -> service.Context:
    """The request's business day, the arrears rule in force, and who asks (the assignee 'me')."""
    return service.Context(today(), current().arrears_months, user_id)


@bp.get("", responses={200: QueuePage})
@roles(*QUEUE_ROLES)
def list_failed_debits(query: QueueQuery):  # type: ignore[no-untyped-def]
    """Bulan yang debit terakhirnya gagal atau belum jelas, dengan saringan, urutan dan jumlahnya / Months
    whose latest debit failed or is unknown: filters, any column's order, totals, keyset pages"""
    session = db.session()
    ctx = context(current_user().id)
    rows, cursor = service.page(session, query, ctx)
    totals = service.totals(session, query.selection(), ctx)
    return QueuePage(items=rows, totals=totals, next_cursor=cursor).model_dump(mode="json")
