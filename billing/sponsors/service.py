"""Sponsors and their members. Who pays for a participant on a date is answered here, one by one
(``payer_of``) or as a set to join against (``current_sponsorships``)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing.errors import Conflict, InvalidInput, NotFound
from billing.pagination import paginate
from billing.participants.models import Participant
from billing.sponsors.handover import hand_over
from billing.sponsors.models import BudgetType, Payer, Sponsor, SponsorMember, SponsorStatus
from billing.sponsors.schemas import MemberQuery, SponsorCreate, SponsorQuery

# Keeps every IN (...) list under the bind-parameter limits of SQLite and PostgreSQL.
IN_CHUNK = 1000


@dataclass(frozen=True)
class AddResult:
    added: list[int]
    already_members: list[int]


def create(session: Session, data: SponsorCreate) -> Sponsor:
    sponsor = Sponsor(**data.model_dump())
    session.add(sponsor)
    session.flush()
    return sponsor


def get(session: Session, sponsor_id: int) -> Sponsor:
    sponsor = session.get(Sponsor, sponsor_id)
    if sponsor is None:
        raise NotFound(
            f"Sponsor {sponsor_id} tidak ditemukan. / Sponsor {sponsor_id} not found.", code="sponsor_not_found"
        )
    return sponsor


def _member_count() -> Any:
    return (
        select(func.count())
        .where(SponsorMember.sponsor_id == Sponsor.id, col(SponsorMember.left_on).is_(None))
        .correlate(Sponsor)
        .scalar_subquery()
    )


def member_count(session: Session, sponsor_id: int) -> int:
    stmt = select(func.count()).where(SponsorMember.sponsor_id == sponsor_id, col(SponsorMember.left_on).is_(None))
    return int(session.exec(stmt).one())


def search(session: Session, q: SponsorQuery) -> tuple[list[tuple[Sponsor, int]], int]:
    """A page of sponsors, each with its current member count."""
    stmt = select(Sponsor, _member_count().label("member_count")).order_by(col(Sponsor.id))
    if q.q:
        # autoescape: a % or _ in the search is that character, not a wildcard.
        stmt = stmt.where(col(Sponsor.name).icontains(q.q, autoescape=True))
    if q.kind:
        stmt = stmt.where(Sponsor.kind == q.kind)
    if q.budget_type:
        stmt = stmt.where(Sponsor.budget_type == q.budget_type)
    if q.region_code:
        # A province code also lists the sponsors of its regencies.
        stmt = stmt.where(
            or_(
                Sponsor.region_code == q.region_code,
                col(Sponsor.region_code).startswith(q.region_code + ".", autoescape=True),
            )
        )
    if q.status:
        stmt = stmt.where(Sponsor.status == q.status)
    rows, total = paginate(session, stmt, q)
    return [(sponsor, int(count)) for sponsor, count in rows], total


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def _active(session: Session, sponsor_id: int) -> Sponsor:
    sponsor = get(session, sponsor_id)
    if sponsor.status == SponsorStatus.stopped:
        raise Conflict(
            f"Sponsor {sponsor_id} sudah berhenti sejak {sponsor.stopped_on}. / "
            f"Sponsor {sponsor_id} stopped on {sponsor.stopped_on}.",
            code="sponsor_stopped",
        )
    return sponsor


def add_members(session: Session, sponsor_id: int, participant_ids: Sequence[int], on: date) -> AddResult:
    """All or nothing: every id is checked before any row is written. Ids already current members
    of this sponsor are left as they are, so a retried request is harmless."""
    _active(session, sponsor_id)
    position: dict[int, int] = {}
    for i, pid in enumerate(participant_ids):
        position.setdefault(pid, i)
    wanted = list(position)

    known: set[int] = set()
    for chunk in _chunks(wanted):
        known.update(session.exec(select(Participant.id).where(col(Participant.id).in_(chunk))).all())
    unknown = [pid for pid in wanted if pid not in known]
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} peserta tidak dikenal; tidak ada yang ditambahkan. / "
            f"{len(unknown)} unknown participants; nothing was added.",
            code="unknown_participants",
            errors=[
                {
                    "field": f"participant_ids.{position[pid]}",
                    "message": f"peserta {pid} tidak ada / participant {pid} does not exist",
                    "participant_id": pid,
                }
                for pid in unknown
            ],
        )

    current: dict[int, int] = {}
    for chunk in _chunks(wanted):
        stmt = select(SponsorMember.participant_id, SponsorMember.sponsor_id).where(
            col(SponsorMember.participant_id).in_(chunk), col(SponsorMember.left_on).is_(None)
        )
        current.update({pid: sid for pid, sid in session.exec(stmt).all()})
    elsewhere = [pid for pid in wanted if current.get(pid, sponsor_id) != sponsor_id]
    if elsewhere:
        raise Conflict(
            f"{len(elsewhere)} peserta sudah disponsori pihak lain; tidak ada yang ditambahkan. / "
            f"{len(elsewhere)} participants already have another sponsor; nothing was added.",
            code="participant_already_sponsored",
            errors=[
                {
                    "field": f"participant_ids.{position[pid]}",
                    "message": f"peserta {pid} disponsori sponsor {current[pid]} / "
                    f"participant {pid} is sponsored by sponsor {current[pid]}",
                    "participant_id": pid,
                    "sponsor_id": current[pid],
                }
                for pid in elsewhere
            ],
        )

    added = [pid for pid in wanted if pid not in current]
    if added:
        rows = [{"sponsor_id": sponsor_id, "participant_id": pid, "joined_on": on} for pid in added]
        try:
            session.exec(insert(SponsorMember), params=rows)
        except IntegrityError as exc:
            # Another sponsor took one of them meanwhile: the partial unique index decides.
            raise Conflict(
                "Sebagian peserta baru saja disponsori pihak lain; ulangi. / "
                "Some participants were just sponsored elsewhere; try again.",
                code="participant_already_sponsored",
            ) from exc
    return AddResult(added=added, already_members=[pid for pid in wanted if pid in current])


def remove_member(session: Session, sponsor_id: int, participant_id: int, on: date) -> SponsorMember:
    """Ends the current membership; from ``on`` the participant pays for themself (or joins another)."""
    get(session, sponsor_id)
    member = session.exec(
        select(SponsorMember).where(
            SponsorMember.sponsor_id == sponsor_id,
            SponsorMember.participant_id == participant_id,
            col(SponsorMember.left_on).is_(None),
        )
    ).first()
    if member is None:
        raise NotFound(
            f"Peserta {participant_id} bukan anggota sponsor {sponsor_id}. / "
            f"Participant {participant_id} is not a current member of sponsor {sponsor_id}.",
            code="membership_not_found",
        )
    if on < member.joined_on:
        raise InvalidInput(
            f"Tanggal keluar {on} sebelum tanggal bergabung {member.joined_on}. / "
            f"Leaving date {on} is before the joining date {member.joined_on}.",
            code="left_before_joined",
        )
    member.left_on = on
    session.add(member)
    session.flush()
    return member


def stop(session: Session, sponsor_id: int, on: date, reason: str) -> Sponsor:
    """The sponsor stops paying from ``on``: its current memberships end that day, and its members pay
    their unpaid months themselves (``handover``). ``members_on(id, on - 1 day)`` lists them."""
    sponsor = get(session, sponsor_id)
    if sponsor.status == SponsorStatus.stopped:
        raise Conflict(
            f"Sponsor {sponsor_id} sudah berhenti sejak {sponsor.stopped_on}. / "
            f"Sponsor {sponsor_id} already stopped on {sponsor.stopped_on}.",
            code="sponsor_already_stopped",
        )
    sponsor.status = SponsorStatus.stopped
    sponsor.stopped_on = on
    sponsor.stop_reason = reason
    session.add(sponsor)
    session.exec(
        update(SponsorMember)
        .where(col(SponsorMember.sponsor_id) == sponsor_id, col(SponsorMember.left_on).is_(None))
        # A membership dated after the stop never started: it ends the day it begins.
        .values(left_on=case((col(SponsorMember.joined_on) > on, SponsorMember.joined_on), else_=on))
    )
    session.flush()
    hand_over(session, sponsor, on)
    return sponsor


def members(session: Session, sponsor_id: int, q: MemberQuery) -> tuple[list[Any], int]:
    get(session, sponsor_id)
    stmt = (
        select(SponsorMember.participant_id, Participant.full_name, SponsorMember.joined_on, SponsorMember.left_on)
        .join(Participant, col(Participant.id) == SponsorMember.participant_id)
        .where(SponsorMember.sponsor_id == sponsor_id)
        .order_by(col(SponsorMember.participant_id), col(SponsorMember.id))
    )
    if q.current:
        stmt = stmt.where(col(SponsorMember.left_on).is_(None))
    return paginate(session, stmt, q)


def _payer() -> Any:
    """The payer of each budget type, as SQL, built from ``BudgetType.payer`` so the rule lives once."""
    return case({b.value: b.payer.value for b in BudgetType}, value=Sponsor.budget_type).label("payer")


def _current_on(on: date) -> Any:
    """Membership current on ``on`` (``joined_on`` inclusive, ``left_on`` exclusive) of a sponsor
    that had not stopped by then."""
    return (
        col(SponsorMember.joined_on) <= on,
        or_(col(SponsorMember.left_on).is_(None), col(SponsorMember.left_on) > on),
        or_(col(Sponsor.stopped_on).is_(None), col(Sponsor.stopped_on) > on),
    )


def current_sponsorships(on: date) -> Select[Any]:
    """``(participant_id, sponsor_id, payer)`` for every participant sponsored on ``on``; participants
    without a row pay for themselves (``Payer.self``). Outer-join it for set-based billing. A stopped
    sponsor pays no month billed after it stopped, even one that began before the stop."""
    return (
        select(SponsorMember.participant_id, SponsorMember.sponsor_id, _payer())
        .join(Sponsor, col(Sponsor.id) == SponsorMember.sponsor_id)
        .where(*_current_on(on), Sponsor.status == SponsorStatus.active)
    )


def members_on(sponsor_id: int, on: date) -> Select[Any]:
    """Participant ids sponsored by ``sponsor_id`` on ``on``; after a stop use the day before it."""
    return (
        select(SponsorMember.participant_id)
        .join(Sponsor, col(Sponsor.id) == SponsorMember.sponsor_id)
        .where(SponsorMember.sponsor_id == sponsor_id, *_current_on(on))
    )


def payer_of(session: Session, participant_id: int, on: date) -> tuple[Payer, int | None]:
    """Who pays ``participant_id``'s contribution on ``on``: ``(Payer.self, None)`` or the sponsor's."""
    row = session.exec(
        current_sponsorships(on)
        .where(SponsorMember.participant_id == participant_id)
        .order_by(col(SponsorMember.joined_on).desc())
    ).first()
    if row is None:
        return Payer.self, None
    return Payer(row.payer), row.sponsor_id
