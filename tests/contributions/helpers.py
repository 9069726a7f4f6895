"""Participants and sponsors for contribution tests, written through the services."""

from datetime import date
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import select

from billing.contributions.models import Contribution, ContributionLine
from billing.db import unit_of_work
from billing.participants.models import CoverageStatus, Participant
from billing.sponsors import service as sponsors
from billing.sponsors.models import BudgetType, SponsorKind
from billing.sponsors.schemas import SponsorCreate
from tests.factories import enrol


def participant(client: Any, admin: str, **overrides: Any) -> int:
    return int(enrol(client, admin, **overrides)["id"])


def set_status(engine: Engine, participant_id: int, status: CoverageStatus) -> None:
    with unit_of_work(engine) as s:
        s.execute(update(Participant).where(Participant.id == participant_id).values(status=status))  # type: ignore[arg-type]
        s.commit()


def set_membership_from(engine: Engine, participant_id: int, first_month: date) -> None:
    """As if enrolled in ``first_month``: its months are the membership's, none before."""
    with unit_of_work(engine) as s:
        s.execute(update(Participant).where(Participant.id == participant_id).values(membership_from=first_month))  # type: ignore[arg-type]
        s.commit()


def sponsor(engine: Engine, budget: BudgetType, members: list[int], joined_on: date) -> int:
    kind = SponsorKind.company if budget is BudgetType.csr else SponsorKind.pemda
    region = None if kind is SponsorKind.company else "64.74"
    with unit_of_work(engine) as s:
        created = sponsors.create(
            s, SponsorCreate(name=f"Sponsor {budget}", kind=kind, budget_type=budget, region_code=region)
        )
        assert created.id is not None
        sponsors.add_members(s, created.id, members, joined_on)
        return created.id


def contributions(engine: Engine, period: date | None = None) -> dict[int, Contribution]:
    """Contributions by participant id (of one month when given)."""
    with unit_of_work(engine) as s:
        stmt = select(Contribution)
        if period:
            stmt = stmt.where(Contribution.period == period)
        return {c.participant_id: c for c in s.exec(stmt).all()}


def lines(engine: Engine, contribution_id: int | None) -> list[tuple[str, int, int, int]]:
    with unit_of_work(engine) as s:
        rows = s.exec(
            select(ContributionLine)
            .where(ContributionLine.contribution_id == contribution_id)
            .order_by(ContributionLine.program)  # type: ignore[arg-type]
        ).all()
        return [(li.program, li.base_amount, li.discount_amount, li.amount) for li in rows]


def count(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return len(s.exec(select(Contribution.id)).all())
