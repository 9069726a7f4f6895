"""Importing settlement files, listing imports and items, resolving items. Services flush; the request,
the command or the test commits."""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing.db import violates
from billing.errors import Conflict, InvalidInput, NotFound
from billing.gateways.registry import known_gateways
from billing.reconciliation import matching
from billing.reconciliation.models import (
    ItemKind,
    LineResult,
    ReconciliationImport,
    ReconciliationItem,
    SettlementFormat,
)
from billing.reconciliation.parsers import SettlementFile, parse
from billing.timeutil import utcnow


@dataclass(frozen=True)
class Imported:
    record: ReconciliationImport
    duplicate: bool  # the same file was imported before: nothing changed

    @property
    def mismatches(self) -> int:
        r = self.record
        return 0 if self.duplicate else r.file_only + r.amount_differs + r.books_only


def _filename(name: str | None) -> str:
    # Only the last part of a path a browser may send, without control characters.
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base)[:255] or "settlement.csv"


def _gateway(fmt: SettlementFormat, given: str | None, default: str) -> str:
    name = given or ("stripe" if fmt is SettlementFormat.stripe else default)
    if name not in known_gateways():
        raise InvalidInput(
            f"Gateway {name!r} tidak dikenal. / Unknown gateway {name!r}.",
            code="unknown_gateway",
            errors=[{"field": "gateway", "message": f"one of {', '.join(known_gateways())}", "type": "enum"}],
        )
    return name


def import_file(
    session: Session,
    data: bytes,
    *,
    filename: str | None,
    tz: str,
    default_gateway: str,
    fmt: SettlementFormat | None = None,
    gateway: str | None = None,
    user_id: int | None = None,
    channel: str = "cli",
) -> Imported:
    """Store and match a settlement file, all of it or (on any bad line) nothing. The same file again
    (by SHA-256) changes nothing and answers its first import."""
    digest = hashlib.sha256(data).hexdigest()
    earlier = session.exec(select(ReconciliationImport).where(ReconciliationImport.sha256 == digest)).first()
    if earlier is not None:
        return Imported(earlier, duplicate=True)
    parsed: SettlementFile = parse(data, tz, fmt)
    record = ReconciliationImport(
        filename=_filename(filename),
        sha256=digest,
        format=parsed.format,
        gateway=_gateway(parsed.format, gateway, default_gateway),
        first_day=parsed.first_day,
        last_day=parsed.last_day,
        lines=len(parsed.lines),
        new_lines=0,
        repeated=0,
        user_id=user_id,
        channel=channel,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        if violates(exc, "uq_reconciliation_import_sha256", "reconciliation_import.sha256"):
            raise Conflict(
                "Berkas yang sama sedang diimpor; coba lagi sebentar. / The same file is being imported; "
                "try again in a moment.",
                code="settlement_import_running",
            ) from exc
        raise
    assert record.id is not None
    counts = matching.match(
        session.connection(), record.id, record.gateway, parsed.lines, record.first_day, record.last_day, utcnow()
    )
    record.new_lines = sum(counts.get(r.value, 0) for r in LineResult)
    record.repeated = record.lines - record.new_lines
    for name in ("matched", "file_only", "amount_differs", "other", "books_only", "closed"):
        setattr(record, name, counts.get(name, 0))
    session.add(record)
    session.flush()
    return Imported(record, duplicate=False)


# -- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFilter:
    kind: ItemKind | None = None
    import_id: int | None = None
    since: date | None = None  # the item's day, inclusive
    until: date | None = None  # inclusive
    resolved: bool | None = None


def _items(f: ItemFilter, before_id: int | None) -> Any:
    stmt = select(ReconciliationItem)
    if f.kind is not None:
        stmt = stmt.where(ReconciliationItem.kind == f.kind)
    if f.import_id is not None:
        stmt = stmt.where(ReconciliationItem.import_id == f.import_id)
    if f.since is not None:
        stmt = stmt.where(col(ReconciliationItem.day) >= f.since)
    if f.until is not None:
        stmt = stmt.where(col(ReconciliationItem.day) <= f.until)
    if f.resolved is not None:
        resolved_at = col(ReconciliationItem.resolved_at)
        stmt = stmt.where(resolved_at.is_not(None) if f.resolved else resolved_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(col(ReconciliationItem.id) < before_id)
    return stmt.order_by(col(ReconciliationItem.id).desc())


def items_page(
    session: Session, f: ItemFilter, before_id: int | None, limit: int
) -> tuple[list[ReconciliationItem], int | None]:
    """Newest first, keyset-paginated by id: one page and the next page's cursor (None on the last)."""
    rows = list(session.exec(_items(f, before_id).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def items_stream(session: Session, f: ItemFilter, batch: int = 500) -> Iterator[ReconciliationItem]:
    cursor: int | None = None
    while True:
        rows, cursor = items_page(session, f, cursor, batch)
        yield from rows
        if cursor is None:
            return


def imports_page(session: Session, before_id: int | None, limit: int) -> tuple[list[ReconciliationImport], int | None]:
    stmt = select(ReconciliationImport)
    if before_id is not None:
        stmt = stmt.where(col(ReconciliationImport.id) < before_id)
    rows = list(session.exec(stmt.order_by(col(ReconciliationImport.id).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def get_import(session: Session, import_id: int) -> ReconciliationImport:
    found = session.get(ReconciliationImport, import_id)
    if found is None:
        raise NotFound(
            f"Impor {import_id} tidak ada. / Import {import_id} not found.", code="reconciliation_import_not_found"
        )
    return found


def resolve(session: Session, item_id: int, reason: str, user_id: int | None, now: datetime) -> ReconciliationItem:
    """Close an open item with a person's reason (the caller audits it); flushes. Of two people resolving
    the same item at once, one wins and the other is told it is resolved."""
    done = session.connection().execute(
        update(ReconciliationItem)
        .where(col(ReconciliationItem.id) == item_id, col(ReconciliationItem.resolved_at).is_(None))
        .values(resolved_at=now, resolved_by=user_id, resolution=reason)
    )
    item = session.get(ReconciliationItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(
            f"Butir rekonsiliasi {item_id} tidak ada. / Reconciliation item {item_id} not found.",
            code="reconciliation_item_not_found",
        )
    if not done.rowcount:
        raise Conflict(
            f"Butir {item_id} sudah diselesaikan. / Item {item_id} is already resolved.",
            code="reconciliation_item_resolved",
        )
    return item
