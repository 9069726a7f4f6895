from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from billing.coverage import service as coverage
from billing.coverage.models import CoverageEventKind
from billing.db import violates
from billing.errors import Conflict, NotFound
from billing.pagination import paginate
from billing.participants.identity import check_nik
from billing.participants.models import CoverageStatus, Participant
from billing.participants.schemas import ParticipantCreate, ParticipantQuery, programs_to_jht
from billing.timeutil import month_start

NIK_TAKEN = "NIK sudah terdaftar. / This NIK is already enrolled."


def enrol(session: Session, data: ParticipantCreate, today: date) -> Participant:
    if session.exec(select(Participant.id).where(Participant.nik == data.nik)).first() is not None:
        raise Conflict(NIK_TAKEN, code="nik_already_enrolled")
    nik = check_nik(data.nik, today)
    participant = Participant(
        nik=data.nik,
        full_name=data.full_name,
        phone=data.phone,
        gender=nik.gender,
        birth_date=nik.birth_date,
        region_code=data.region_code,
        ecosystem=data.ecosystem,
        sector=data.sector,
        sector_category=data.sector_category,
        declared_income=data.declared_income,
        jht=programs_to_jht(list(data.programs)),
        enrolment_source=data.enrolment_source,
        enrolled_on=today,
        membership_from=month_start(today),
    )
    session.add(participant)
    try:
        session.flush()
    except IntegrityError as exc:
        # Two enrolments of one NIK racing: the unique index decides, the loser gets 409.
        if violates(exc, "participant_nik_key", "participant.nik"):
            raise Conflict(NIK_TAKEN, code="nik_already_enrolled") from exc
        raise
    coverage.record(session, participant, CoverageEventKind.enrolled, CoverageStatus.registered, today)
    session.flush()
    return participant


def get(session: Session, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(
            f"Peserta {participant_id} tidak ditemukan. / Participant {participant_id} not found.",
            code="participant_not_found",
        )
    return participant


def search(session: Session, q: ParticipantQuery) -> tuple[list[Participant], int]:
    stmt = select(Participant).order_by(Participant.id)
    if q.region_code:
        # A province code (``19``) lists all its regencies; a regency code (``19.71``) just that one.
        if "." in q.region_code:
            stmt = stmt.where(Participant.region_code == q.region_code)
        else:
            # autoescape: a % or _ in the filter is that character, not a wildcard.
            stmt = stmt.where(Participant.region_code.startswith(q.region_code + ".", autoescape=True))  # type: ignore[attr-defined]
    if q.ecosystem:
        stmt = stmt.where(Participant.ecosystem == q.ecosystem)
    if q.status:
        stmt = stmt.where(Participant.status == q.status)
    return paginate(session, stmt, q)
