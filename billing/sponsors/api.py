from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from billing import db
from billing.auth.guard import STAFF, current_user, roles
from billing.auth.models import Role
from billing.pagination import Page, PageQuery
from billing.participants.models import Participant
from billing.settings import today
from billing.sponsors import invoices, service
from billing.sponsors.models import Sponsor, SponsorInvoice
from billing.sponsors.schemas import (
    InvoiceChargeOut,
    InvoiceDetail,
    InvoiceLineOut,
    InvoiceOut,
    InvoicePage,
    InvoicePath,
    InvoicePaymentCreate,
    MemberOut,
    MemberPage,
    MemberPath,
    MemberQuery,
    MembersAdd,
    MembersAdded,
    SponsorCreate,
    SponsorOut,
    SponsorPage,
    SponsorPath,
    SponsorQuery,
    SponsorStop,
)

tag = Tag(name="sponsors", description="Pemda dan perusahaan pembayar iuran / Governments and companies paying")
bp = APIBlueprint("sponsors", __name__, url_prefix="/api/v1/sponsors", abp_tags=[tag])

WRITERS = (Role.admin, Role.finance)


def _out(sponsor: Sponsor, member_count: int) -> dict[str, Any]:
    fields = {name: getattr(sponsor, name) for name in SponsorOut.model_fields if name != "member_count"}
    return SponsorOut.model_validate({**fields, "member_count": member_count}).model_dump(mode="json")


@bp.post("", responses={201: SponsorOut})
@roles(*WRITERS)
def create_sponsor(body: SponsorCreate):  # type: ignore[no-untyped-def]
    """Daftarkan sponsor / Register a sponsor"""
    return _out(service.create(db.session(), body), 0), 201


@bp.get("", responses={200: SponsorPage})
@roles(*STAFF)
def list_sponsors(query: SponsorQuery):  # type: ignore[no-untyped-def]
    """Daftar sponsor / List sponsors"""
    rows, total = service.search(db.session(), query)
    return SponsorPage(
        items=[_out(s, n) for s, n in rows], page=query.page, per_page=query.per_page, total=total
    ).model_dump(mode="json")


@bp.get("/<int:sponsor_id>", responses={200: SponsorOut})
@roles(*STAFF)
def get_sponsor(path: SponsorPath):  # type: ignore[no-untyped-def]
    """Lihat sponsor / Get a sponsor"""
    session = db.session()
    return _out(service.get(session, path.sponsor_id), service.member_count(session, path.sponsor_id))


@bp.post("/<int:sponsor_id>/participants", responses={200: MembersAdded})
@roles(*WRITERS)
def add_participants(path: SponsorPath, body: MembersAdd):  # type: ignore[no-untyped-def]
    """Tambahkan peserta yang disponsori (semua atau tidak sama sekali) / Add sponsored participants (all or none)"""
    result = service.add_members(db.session(), path.sponsor_id, body.participant_ids, today())
    return MembersAdded(
        sponsor_id=path.sponsor_id, added=result.added, already_members=result.already_members
    ).model_dump(mode="json")


@bp.delete("/<int:sponsor_id>/participants/<int:participant_id>", responses={200: MemberOut})
@roles(*WRITERS)
def remove_participant(path: MemberPath):  # type: ignore[no-untyped-def]
    """Akhiri sponsor untuk satu peserta mulai hari ini / End one participant's sponsorship from today"""
    session = db.session()
    member = service.remove_member(session, path.sponsor_id, path.participant_id, today())
    full_name = session.get_one(Participant, member.participant_id).full_name
    return MemberOut.model_validate({**member.model_dump(), "full_name": full_name}).model_dump(mode="json")


@bp.get("/<int:sponsor_id>/participants", responses={200: MemberPage})
@roles(*STAFF)
def list_participants(path: SponsorPath, query: MemberQuery):  # type: ignore[no-untyped-def]
    """Peserta yang disponsori / Sponsored participants"""
    rows, total = service.members(db.session(), path.sponsor_id, query)
    return MemberPage(
        items=[MemberOut.model_validate(r) for r in rows], page=query.page, per_page=query.per_page, total=total
    ).model_dump(mode="json")


@bp.post("/<int:sponsor_id>/stop", responses={200: SponsorOut})
@roles(*WRITERS)
def stop_sponsor(path: SponsorPath, body: SponsorStop):  # type: ignore[no-untyped-def]
    """Sponsor berhenti membayar mulai hari ini / The sponsor stops paying from today"""
    session = db.session()
    return _out(service.stop(session, path.sponsor_id, today(), body.reason), 0)


def _invoice(invoice: SponsorInvoice, owed: int) -> dict[str, Any]:
    fields = {name: getattr(invoice, name) for name in InvoiceOut.model_fields if name != "owed"}
    return InvoiceOut.model_validate({**fields, "owed": owed}).model_dump(mode="json")


@bp.get("/<int:sponsor_id>/invoices", responses={200: InvoicePage})
@roles(*STAFF)
def list_invoices(path: SponsorPath, query: PageQuery):  # type: ignore[no-untyped-def]
    """Tagihan sponsor, bulan terbaru dulu / The sponsor's invoices, newest month first"""
    session = db.session()
    service.get(session, path.sponsor_id)
    rows, total = invoices.search(session, path.sponsor_id, query)
    items = [_invoice(i, owed) for i, owed in rows]
    return InvoicePage.model_validate(
        {"items": items, "page": query.page, "per_page": query.per_page, "total": total}
    ).model_dump(mode="json")


@bp.get("/<int:sponsor_id>/invoices/<period>", responses={200: InvoiceDetail})
@roles(*STAFF)
def get_invoice(path: InvoicePath, query: PageQuery):  # type: ignore[no-untyped-def]
    """Satu tagihan dengan iuran pesertanya / One invoice with its members' months"""
    session = db.session()
    invoice = invoices.get(session, path.sponsor_id, path.period)
    assert invoice.id is not None
    rows, total = invoices.lines(session, invoice, query)
    lines = Page[InvoiceLineOut](
        items=[InvoiceLineOut.model_validate(r) for r in rows], page=query.page, per_page=query.per_page, total=total
    )
    out = _invoice(invoice, invoices.owed(session.connection(), invoice.id))
    charges = [InvoiceChargeOut.model_validate(a) for a in invoices.charges_of(session, invoice.id)]
    return InvoiceDetail.model_validate({**out, "charges": charges, "lines": lines}).model_dump(mode="json")


@bp.post("/<int:sponsor_id>/invoices/<period>/payments", responses={201: InvoiceOut})
@roles(Role.finance, Role.admin)
def pay_invoice(path: InvoicePath, body: InvoicePaymentCreate):  # type: ignore[no-untyped-def]
    """Catat transfer bank sponsor (boleh sebagian) / Record a sponsor's bank transfer (partial allowed)

    Uang, ditambah sisa yang sudah ada di tagihan, membayar iuran peserta yang belum lunas berurutan menurut id
    peserta, tiap bulan penuh; sisa yang kurang dari satu bulan disimpan di tagihan sampai pembayaran berikutnya.
    / The money, with any remainder the invoice holds, pays its due months in participant-id order, each in
    full; a remainder smaller than the next month stays on the invoice until the next payment.
    """
    session = db.session()
    service.get(session, path.sponsor_id)
    invoice = invoices.pay_by_transfer(
        session,
        path.sponsor_id,
        path.period,
        receipt_number=body.receipt_number,
        amount=body.amount,
        received_on=body.received_on,
        recorded_by=str(current_user().id),
        today=today(),
    )
    assert invoice.id is not None
    return _invoice(invoice, invoices.owed(session.connection(), invoice.id)), 201
