from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, roles
from billing.auth.models import Role
from billing.regions import service
from billing.regions.schemas import RegionList, RegionOut, RegionPath, RegionQuery, WorkforceList

tag = Tag(name="regions", description="Wilayah Kemendagri dan angkatan kerja / Regions and workforce")
bp = APIBlueprint("regions", __name__, url_prefix="/api/v1/regions", abp_tags=[tag])


@bp.get("", responses={200: RegionList})
@roles(*STAFF, Role.worker)
def list_regions(query: RegionQuery):  # type: ignore[no-untyped-def]
    """Provinsi, atau kabupaten/kota dari satu provinsi / Provinces, or one province's regencies"""
    rows = service.children(db.session(), query.parent)
    return RegionList(items=[RegionOut.model_validate(r) for r in rows]).model_dump(mode="json")


@bp.get("/<code>/workforce", responses={200: WorkforceList})
@roles(*STAFF)
def get_workforce(path: RegionPath):  # type: ignore[no-untyped-def]
    """Pekerja potensial dan target cakupan per tahun / Potential workers and coverage target by year"""
    return WorkforceList(items=service.workforce(db.session(), path.code)).model_dump(mode="json")
