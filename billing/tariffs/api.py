from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, roles
from billing.auth.models import Role
from billing.tariffs import service
from billing.tariffs.schemas import QuoteOut, QuoteQuery, TariffOut, TariffQuery

tag = Tag(name="tariffs", description="Tarif iuran BPU / BPU contribution tariffs")
bp = APIBlueprint("tariffs", __name__, url_prefix="/api/v1/tariffs", abp_tags=[tag])


@bp.get("/quote", responses={200: QuoteOut})
@roles(*STAFF, Role.worker)
def get_quote(query: QuoteQuery):  # type: ignore[no-untyped-def]
    """Hitung iuran satu bulan / Quote one month's contribution"""
    quote = service.quote(
        db.session(),
        declared_income=query.declared_income,
        jht=query.jht,
        sector_category=query.sector,
        period=query.period,
        payer=query.payer,
    )
    return QuoteOut.model_validate(quote).model_dump(mode="json")


@bp.get("", responses={200: TariffOut})
@roles(*STAFF)
def get_tariff(query: TariffQuery):  # type: ignore[no-untyped-def]
    """Tarif yang berlaku pada satu bulan / The tariff in force for a month"""
    return TariffOut.model_validate(service.load_tariff(db.session(), query.period)).model_dump(mode="json")
