from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, roles
from billing.debits import queries
from billing.debits.schemas import DebitRunDetail, DebitRunPage, DebitRunPath, DebitRunQuery

tag = Tag(name="debit-runs", description="Proses penarikan otomatis / Debit runs")
bp = APIBlueprint("debit_runs", __name__, url_prefix="/api/v1/debit-runs", abp_tags=[tag])


@bp.get("", responses={200: DebitRunPage})
@roles(*STAFF)
def list_debit_runs(query: DebitRunQuery):  # type: ignore[no-untyped-def]
    """Daftar proses debit / List debit runs"""
    rows, total = queries.list_runs(db.session(), query)
    return DebitRunPage(items=rows, page=query.page, per_page=query.per_page, total=total).model_dump(mode="json")


@bp.get("/<int:run_id>", responses={200: DebitRunDetail})
@roles(*STAFF)
def get_debit_run(path: DebitRunPath):  # type: ignore[no-untyped-def]
    """Kemajuan dan hasil satu proses debit / Progress and outcomes of a debit run"""
    return queries.run_detail(db.session(), path.run_id).model_dump(mode="json")
