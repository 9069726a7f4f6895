"""``/api/v1/reconciliation``: settlement files imported (list, upload) and the mismatches they found
(list, resolve), for finance and admins. API writes are audited generically (billing/audit/api_writes.py)."""

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from werkzeug.datastructures import FileStorage

from billing import db
from billing.auth.browser import now
from billing.auth.guard import current_user, roles
from billing.auth.models import Role
from billing.columns import BigRowId
from billing.errors import InvalidInput
from billing.reconciliation import service
from billing.reconciliation.schemas import (
    ImportOut,
    ImportPage,
    ImportQuery,
    ImportUploaded,
    ItemOut,
    ItemPage,
    ItemQuery,
    ResolveBody,
    UploadForm,
)
from billing.requests import accepts_upload
from billing.settings import current

tag = Tag(name="reconciliation", description="Rekonsiliasi dengan penyelesaian gateway / Settlement reconciliation")
bp = APIBlueprint("reconciliation", __name__, url_prefix="/api/v1/reconciliation", abp_tags=[tag])
FINANCE = (Role.admin, Role.finance)


class ItemPath(BaseModel):
    item_id: BigRowId


def uploaded_bytes(file: object) -> tuple[bytes, str | None]:
    """The file's content and name; a form field that is text, not a file, is a 422."""
    if not isinstance(file, FileStorage):
        raise InvalidInput(
            "Kirim berkas pada kolom 'file' (multipart/form-data). / Send the file as the 'file' part "
            "(multipart/form-data).",
            errors=[{"field": "file", "message": "not a file", "type": "file_type"}],
        )
    return file.read(), file.filename


@bp.get("/imports", responses={200: ImportPage})
@roles(*FINANCE)
def list_imports(query: ImportQuery):  # type: ignore[no-untyped-def]
    """Berkas penyelesaian yang diimpor, terbaru dulu / Settlement files imported, newest first"""
    rows, cursor = service.imports_page(db.session(), query.cursor, query.limit)
    return ImportPage(items=[ImportOut.of(r) for r in rows], next_cursor=cursor).model_dump(mode="json")


@bp.post("/imports", responses={201: ImportUploaded, 200: ImportUploaded})
@roles(*FINANCE)
@accepts_upload
def upload_import(form: UploadForm):  # type: ignore[no-untyped-def]
    """Impor berkas penyelesaian / Import a settlement file

    CSV Stripe (laporan itemized) atau bank, sebagai multipart/form-data; berkas yang sama lagi tidak
    mengubah apa pun (200, ``duplicate``). / Stripe's itemized report or a bank CSV, as multipart/form-data;
    the same file again changes nothing (200, ``duplicate``)."""
    data, filename = uploaded_bytes(form.file)
    settings = current()
    done = service.import_file(
        db.session(),
        data,
        filename=filename,
        tz=settings.timezone,
        default_gateway=settings.gateway,
        fmt=form.format,
        gateway=form.gateway,
        user_id=current_user().id,
        channel="api",
    )
    out = ImportUploaded(**ImportOut.of(done.record).model_dump(), duplicate=done.duplicate)
    return out.model_dump(mode="json"), 200 if done.duplicate else 201


@bp.get("/items", responses={200: ItemPage})
@roles(*FINANCE)
def list_items(query: ItemQuery):  # type: ignore[no-untyped-def]
    """Ketidakcocokan, terbaru dulu, per halaman kunci / Mismatches, newest first, keyset-paginated"""
    rows, cursor = service.items_page(db.session(), query.to_filter(), query.cursor, query.limit)
    return ItemPage(items=[ItemOut.of(r) for r in rows], next_cursor=cursor).model_dump(mode="json")


@bp.post("/items/<int:item_id>/resolve", responses={200: ItemOut})
@roles(*FINANCE)
def resolve_item(path: ItemPath, body: ResolveBody):  # type: ignore[no-untyped-def]
    """Selesaikan ketidakcocokan dengan alasan / Resolve a mismatch, with a reason"""
    item = service.resolve(db.session(), path.item_id, body.reason, current_user().id, now())
    return ItemOut.of(item).model_dump(mode="json")
