"""Reading the queue: filters, keyset pages in any column's order, the filtered set's totals, and the
whole set streamed (the CSV export). Every count and sum reads the queue's own narrow table
(``failed_debit``); the assignments and the sponsorships are joined only when a filter or the order
needs them, and the display columns only for the rows shown."""

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.sql import FromClause
from sqlmodel import Session

from billing.auth.models import ApiUser
from billing.coverage.evaluation import ends_on, oldest_unpaid_ending_by
from billing.errors import InvalidInput
from billing.failed_debits.models import CaseAssignment, FailedDebit
from billing.failed_debits.schemas import Order, Outcome, QueueFilter, QueueQuery, QueueRow, QueueTotals, SortKey
from billing.gateways.failures import TAXONOMY, FailureClass, FailureCode, rule
from billing.mandates.models import Mandate
from billing.participants.identity import mask_nik
from billing.participants.models import Participant
from billing.regions.reference import region_name
from billing.reports.labels import CAUSES, label
from billing.sponsors.models import SponsorMember

FD = FailedDebit.__table__  # type: ignore[attr-defined]
ASSIGNED = CaseAssignment.__table__  # type: ignore[attr-defined]
ASSIGNEE = ApiUser.__table__.alias("assignee")  # type: ignore[attr-defined]
MANDATE = Mandate.__table__  # type: ignore[attr-defined]
PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
MEMBER = SponsorMember.__table__  # type: ignore[attr-defined]

# A retry date no month has: stopped months sort after every scheduled one.
_NEVER = date(9999, 12, 31)
_AWAITING = ("menunggu jawaban bank", "awaiting the gateway's answer")


@dataclass(frozen=True)
class Context:
    """What a query is judged against: the business day, the arrears rule, and who asks ("me")."""

    today: date
    arrears_months: int
    user_id: int | None = None


# The value each order sorts by, and the type its cursor value has.
_SORTS: dict[SortKey, tuple[ColumnElement[Any], Any]] = {
    SortKey.coverage: (FD.c.unpaid_from, Date()),
    SortKey.participant: (FD.c.full_name, String()),
    SortKey.region: (FD.c.region_code, String()),
    SortKey.channel: (FD.c.channel, String()),
    SortKey.amount: (FD.c.amount, BigInteger()),
    SortKey.month: (FD.c.period, Date()),
    SortKey.attempt: (FD.c.attempt_no, Integer()),
    SortKey.failure: (func.coalesce(FD.c.failure_code, ""), String()),
    SortKey.next_retry: (func.coalesce(FD.c.next_retry_on, literal(_NEVER, Date())), Date()),
    SortKey.attempted: (FD.c.attempted_on, Date()),
    SortKey.assignee: (func.coalesce(ASSIGNEE.c.name, ""), String()),
    SortKey.contribution: (FD.c.contribution_id, BigInteger()),
}


@dataclass
class _Query:
    """Conditions and the joins they need (the assignment, the assignee's name)."""

    where: list[ColumnElement[bool]]
    assignment: bool = False
    assignee: bool = False

    def source(self) -> FromClause:
        src: FromClause = FD
        if self.assignment or self.assignee:
            src = src.outerjoin(ASSIGNED, ASSIGNED.c.contribution_id == FD.c.contribution_id)
        if self.assignee:
            src = src.outerjoin(ASSIGNEE, ASSIGNEE.c.id == ASSIGNED.c.assignee_id)
        return src


def _filtered(f: QueueFilter, ctx: Context) -> _Query:
    q = _Query([])
    w = q.where
    if f.region:
        w.append(FD.c.region_code == f.region if "." in f.region else FD.c.region_code.like(f.region + ".%"))
    if f.outcome:
        w.append(FD.c.outcome == f.outcome.value)
    if f.failure_class:
        w.append(FD.c.failure_code.in_([c.value for c, r in TAXONOMY.items() if r.failure_class is f.failure_class]))
    if f.failure_code:
        w.append(FD.c.failure_code == f.failure_code.value)
    if f.channel:
        w.append(FD.c.channel == f.channel.value)
    if f.gateway:
        w.append(FD.c.gateway == f.gateway)
    if f.attempt_min is not None:
        w.append(FD.c.attempt_no >= f.attempt_min)
    if f.attempt_max is not None:
        w.append(FD.c.attempt_no <= f.attempt_max)
    if f.attempted_from:
        w.append(FD.c.attempted_on >= f.attempted_from)
    if f.attempted_to:
        w.append(FD.c.attempted_on <= f.attempted_to)
    if f.amount_min is not None:
        w.append(FD.c.amount >= f.amount_min)
    if f.amount_max is not None:
        w.append(FD.c.amount <= f.amount_max)
    if f.sponsor_id:
        member = (MEMBER.c.participant_id == FD.c.participant_id) & (MEMBER.c.sponsor_id == f.sponsor_id)
        w.append(exists().where(member))
    if f.ecosystem:
        w.append(FD.c.ecosystem == f.ecosystem.value)
    if f.retry_from:
        w.append(FD.c.next_retry_on >= f.retry_from)
    if f.retry_to:
        w.append(FD.c.next_retry_on <= f.retry_to)
    if f.stopped is True:
        w.append((FD.c.outcome == Outcome.failed.value) & FD.c.next_retry_on.is_(None))
    elif f.stopped is False:
        w.append(FD.c.next_retry_on.is_not(None))
    if f.assignee:
        q.assignment = True
        if f.assignee == "none":
            w.append(ASSIGNED.c.assignee_id.is_(None))
        else:
            w.append(ASSIGNED.c.assignee_id == (ctx.user_id if f.assignee == "me" else int(f.assignee)))
    if f.ends_within is not None:
        # Not ended yet (ends today or later) and ends within the days asked: a range of oldest unpaid months.
        ended_before = oldest_unpaid_ending_by(ctx.today - timedelta(days=1), ctx.arrears_months)
        w.append(FD.c.unpaid_from > ended_before)
        ending = ctx.today + timedelta(days=f.ends_within)
        w.append(FD.c.unpaid_from <= oldest_unpaid_ending_by(ending, ctx.arrears_months))
    return q


def totals(session: Session, f: QueueFilter, ctx: Context) -> QueueTotals:
    q = _filtered(f, ctx)
    stmt = select(
        func.count(), func.count(FD.c.participant_id.distinct()), func.coalesce(func.sum(FD.c.amount), 0)
    ).select_from(q.source())
    months, people, amount = session.connection().execute(stmt.where(*q.where)).one()
    return QueueTotals(months=int(months), participants=int(people), amount=int(amount))


# Cursors: an opaque token naming the order and the last row's sort value and id.


def _encode(sort: SortKey, order: Order, value: Any, contribution_id: int) -> str:
    plain = value.isoformat() if isinstance(value, date) else value
    raw = json.dumps([sort.value, order.value, plain, contribution_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _bad_cursor(why: str) -> InvalidInput:
    return InvalidInput(
        "Kursor tidak valid; mulai lagi dari halaman pertama. / The cursor is invalid; start again from the "
        "first page.",
        code="invalid_cursor",
        errors=[{"field": "cursor", "message": why, "type": "value_error"}],
    )


def _decode(cursor: str, sort: SortKey, order: Order) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_sort, got_order, value, cid = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise _bad_cursor("not a cursor of this list") from None
    if (got_sort, got_order) != (sort.value, order.value):
        raise _bad_cursor("made for another order; start again")
    kind = _SORTS[sort][1]
    try:
        if not isinstance(cid, int) or isinstance(cid, bool) or not 0 < cid < 2**63:
            raise ValueError
        if isinstance(kind, Date):
            value = date.fromisoformat(value)
        elif isinstance(kind, Integer | BigInteger):
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                raise ValueError
        elif not isinstance(value, str):
            raise ValueError
    except (TypeError, ValueError):
        raise _bad_cursor("its values do not fit this list") from None
    return value, cid


def _in_order(stmt: Select[Any], sort: SortKey, order: Order) -> Select[Any]:
    key = _SORTS[sort][0]
    if order is Order.asc:
        return stmt.order_by(key.asc(), FD.c.contribution_id.asc())
    return stmt.order_by(key.desc(), FD.c.contribution_id.desc())


def _ordered(q: _Query, query: QueueQuery) -> Select[Any]:
    key, kind = _SORTS[query.sort]
    q.assignee = query.sort is SortKey.assignee
    stmt = select(FD.c.contribution_id, key.label("sort_key")).select_from(q.source()).where(*q.where)
    if query.cursor:
        value, cid = _decode(query.cursor, query.sort, query.order)
        after = tuple_(key, FD.c.contribution_id)
        bound = tuple_(literal(value, kind), literal(cid, BigInteger()))
        stmt = stmt.where(after > bound if query.order is Order.asc else after < bound)
    return _in_order(stmt, query.sort, query.order)


def page(session: Session, query: QueueQuery, ctx: Context) -> tuple[list[QueueRow], str | None]:
    """One page in the order asked (ties broken by month id) and the cursor of the next (None on the last)."""
    q = _filtered(query.selection(), ctx)
    found = session.connection().execute(_ordered(q, query).limit(query.limit + 1)).all()
    more = len(found) > query.limit
    found = found[: query.limit]
    by_id = {row.contribution_id: row for row in _details(session, [r.contribution_id for r in found], ctx)}
    rows = [by_id[r.contribution_id] for r in found if r.contribution_id in by_id]
    cursor = _encode(query.sort, query.order, found[-1].sort_key, found[-1].contribution_id) if more else None
    return rows, cursor


def _detail_select() -> Select[Any]:
    return select(
        FD,
        PARTICIPANT.c.nik,
        MANDATE.c.display,
        ASSIGNED.c.assignee_id,
        ASSIGNEE.c.name.label("assignee_name"),
    ).select_from(
        FD.join(PARTICIPANT, PARTICIPANT.c.id == FD.c.participant_id)
        .join(MANDATE, MANDATE.c.id == FD.c.mandate_id)
        .outerjoin(ASSIGNED, ASSIGNED.c.contribution_id == FD.c.contribution_id)
        .outerjoin(ASSIGNEE, ASSIGNEE.c.id == ASSIGNED.c.assignee_id)
    )


class _Rows:
    """Turns joined records into queue rows without validating them again (the CSV makes a hundred
    thousand): coverage dates and failure labels worked out once each."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.ends: dict[date, date] = {}
        self.failures: dict[tuple[str, str | None], tuple[Outcome, FailureClass | None, str, str]] = {}

    def _failure(self, outcome: str, code: str | None) -> tuple[Outcome, FailureClass | None, str, str]:
        if (outcome, code) not in self.failures:
            label_id, label_en = _AWAITING if outcome == Outcome.unknown else label(CAUSES, code or "unknown")
            known = code is not None and code in FailureCode.__members__
            cls = rule(code).failure_class if known else None  # type: ignore[arg-type]
            self.failures[(outcome, code)] = (Outcome(outcome), cls, label_id, label_en)
        return self.failures[(outcome, code)]

    def fields(self, r: Any) -> dict[str, Any]:
        """A queue row's fields, by name, from a record of ``_detail_select``."""
        end = self.ends.get(r.unpaid_from)
        if end is None:
            end = self.ends[r.unpaid_from] = ends_on(r.unpaid_from, self.ctx.arrears_months)
        outcome, cls, label_id, label_en = self._failure(r.outcome, r.failure_code)
        failed = outcome is Outcome.failed
        scheduled = r.next_retry_on if failed else None
        return {
            "contribution_id": r.contribution_id,
            "participant_id": r.participant_id,
            "participant_name": r.full_name,
            "nik": mask_nik(r.nik),
            "region_code": r.region_code,
            "region_name": region_name(r.region_code),
            "ecosystem": r.ecosystem,
            "channel": r.channel,
            "display": r.display,
            "gateway": r.gateway,
            "amount": r.amount,
            "period": f"{r.period:%Y-%m}",
            "attempt_id": r.attempt_id,
            "attempt_no": r.attempt_no,
            "attempted_on": r.attempted_on,
            "outcome": outcome,
            "failure_code": r.failure_code,
            "gateway_code": r.gateway_code,
            "failure_class": cls,
            "failure_label_id": label_id,
            "failure_label_en": label_en,
            "next_retry_on": scheduled,
            "stopped_reason": r.stopped_reason if failed and scheduled is None else None,
            "coverage_ends_on": end,
            "days_until_coverage_ends": (end - self.ctx.today).days,
            "assignee_id": r.assignee_id,
            "assignee_name": r.assignee_name,
        }

    def __call__(self, r: Any) -> QueueRow:
        return QueueRow.model_construct(**self.fields(r))


def _details(session: Session, ids: list[int], ctx: Context) -> Iterator[QueueRow]:
    if not ids:
        return
    make = _Rows(ctx)
    for r in session.connection().execute(_detail_select().where(FD.c.contribution_id.in_(ids))):
        yield make(r)


def one(session: Session, contribution_id: int, ctx: Context) -> QueueRow | None:
    """The month's queue row; None when it is not in the queue."""
    return next(_details(session, [contribution_id], ctx), None)


def stream(session: Session, query: QueueQuery, ctx: Context, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every row of the filtered set in the order asked, as ``QueueRow`` fields by name, fetched ``batch``
    rows at a time from one query (a server-side cursor on PostgreSQL): memory stays flat however many
    rows there are."""
    q = _filtered(query.selection(), ctx)
    stmt = _in_order(_detail_select().where(*q.where), query.sort, query.order)
    fields = _Rows(ctx).fields
    conn = session.connection().execution_options(stream_results=True, yield_per=batch)
    for r in conn.execute(stmt):
        yield fields(r)


@dataclass(frozen=True)
class Selection:
    """The months a filter selects at one moment, and a fingerprint of them: their ids, attempts and
    amounts. Another fingerprint later means the selection changed meanwhile."""

    ids: list[int]
    amount: int
    fingerprint: str


def select_months(session: Session, f: QueueFilter, ctx: Context) -> Selection:
    q = _filtered(f, ctx)
    stmt = (
        select(FD.c.contribution_id, FD.c.attempt_id, FD.c.amount)
        .select_from(q.source())
        .where(*q.where)
        .order_by(FD.c.contribution_id)
    )
    digest = hashlib.sha256()
    ids, amount = [], 0
    for cid, attempt_id, owed in session.connection().execute(stmt):
        ids.append(int(cid))
        amount += int(owed)
        digest.update(f"{cid}:{attempt_id}:{owed};".encode())
    return Selection(ids, amount, digest.hexdigest()[:16])
