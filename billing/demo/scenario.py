"""What ``billing demo seed`` puts in an empty database, as an ordered list of steps.

Each step takes the session and "today" and returns one summary line. Later steps (mandates, months of
simulated debits) are appended to ``STEPS``; they run only on an empty database, once."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from billing.participants import service as participants
from billing.participants.models import Participant
from billing.participants.schemas import ParticipantCreate

# Fictional people in Kota Pangkal Pinang (19.71) and Jambi regencies, the regions whose coverage
# figures the demo is calibrated on. NIKs and phone numbers are structurally valid but invented.
PARTICIPANTS: tuple[dict[str, Any], ...] = (
    {
        "nik": "1971015508950001",
        "full_name": "Siti Aminah",
        "phone": "0812-7100-0101",
        "region_code": "19.71",
        "ecosystem": "pasar",
        "sector": "pedagang pasar",
        "sector_category": "perdagangan",
        "declared_income": 1_000_000,
        "programs": ["JKK", "JKM"],
        "enrolment_source": "agent",
    },
    {
        "nik": "1971021203880002",
        "full_name": "Rudi Hartono",
        "phone": "0813-6700-2202",
        "region_code": "19.71",
        "ecosystem": "ecommerce_umkm",
        "sector": "penjual daring",
        "sector_category": "perdagangan",
        "declared_income": 2_000_000,
        "programs": ["JKK", "JKM", "JHT"],
        "enrolment_source": "web",
    },
    {
        "nik": "1971034107900003",
        "full_name": "Maria Ulfa",
        "phone": "0852-6600-3303",
        "region_code": "19.71",
        "ecosystem": "rentan",
        "sector": "buruh cuci",
        "sector_category": "jasa",
        "declared_income": 1_000_000,
        "programs": ["JKK", "JKM"],
        "enrolment_source": "agent",
    },
    {
        "nik": "1971042009990008",
        "full_name": "Bambang Sutrisno",
        "phone": "0821-7300-4404",
        "region_code": "19.71",
        "ecosystem": "ecommerce_umkm",
        "sector": "pengemudi ojek daring",
        "sector_category": "transport",
        "declared_income": 1_500_000,
        "programs": ["JKK", "JKM"],
        "enrolment_source": "web",
    },
    {
        "nik": "1504010101850004",
        "full_name": "Ahmad Fauzi",
        "phone": "0812-7400-5505",
        "region_code": "15.04",
        "ecosystem": "rentan",
        "sector": "petani sawit rakyat",
        "sector_category": "pertanian",
        "declared_income": 1_000_000,
        "programs": ["JKK", "JKM"],
        "enrolment_source": "agent",
    },
    {
        "nik": "1571024506920005",
        "full_name": "Dewi Lestari",
        "phone": "0813-6600-6606",
        "region_code": "15.71",
        "ecosystem": "pasar",
        "sector": "pedagang sayur",
        "sector_category": "perdagangan",
        "declared_income": 1_200_000,
        "programs": ["JKK", "JKM", "JHT"],
        "enrolment_source": "web",
    },
    {
        "nik": "1509011510800006",
        "full_name": "Hendra Saputra",
        "phone": "0852-6700-7707",
        "region_code": "15.09",
        "ecosystem": "desa",
        "sector": "perangkat desa",
        "sector_category": "pemerintahan_desa",
        "declared_income": 2_000_000,
        "programs": ["JKK", "JKM"],
        "enrolment_source": "agent",
    },
    {
        "nik": "1507016203870007",
        "full_name": "Nurhayati",
        "phone": "0821-7400-8808",
        "region_code": "15.07",
        "ecosystem": "rentan",
        "sector": "nelayan",
        "sector_category": "perikanan",
        "declared_income": 1_000_000,
        "programs": ["JKK", "JKM"],
        "enrolment_source": "agent",
    },
)

# The demo worker token belongs to this participant.
WORKER_NIK = PARTICIPANTS[0]["nik"]


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Session, date], str]


def enrol_participants(session: Session, today: date) -> str:
    # Validate every record before the first write, so a bad record leaves the database empty.
    bodies = [ParticipantCreate.model_validate(p) for p in PARTICIPANTS]
    for body in bodies:
        participants.enrol(session, body, today)
    regions = sorted({b.region_code for b in bodies})
    return f"{len(bodies)} peserta terdaftar / participants enrolled in {', '.join(regions)}"


STEPS: tuple[Step, ...] = (Step("participants", enrol_participants),)


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Participant)).one() == 0


def seed(session: Session, today: date) -> list[str]:
    """Run every step in order; the caller checks ``is_empty`` first."""
    return [f"{step.name}: {step.run(session, today)}" for step in STEPS]


def worker_participant(session: Session) -> Participant | None:
    """The demo worker's participant, or the first one on a database seeded otherwise."""
    own = session.exec(select(Participant).where(Participant.nik == WORKER_NIK)).first()
    return own or session.exec(select(Participant).order_by(Participant.id)).first()
