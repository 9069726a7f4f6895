from datetime import date

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing.db import unit_of_work
from billing.errors import Conflict, InvalidInput
from billing.participants.models import Participant
from billing.sponsors import service
from billing.sponsors.models import Payer, SponsorMember
from billing.sponsors.schemas import SponsorCreate
from tests.factories import enrol, token

JAN, FEB_END, MAR = date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 1)


@pytest.fixture
def pids(app, client) -> list[int]:  # type: ignore[no-untyped-def]
    admin = token(app, "admin")
    return [enrol(client, admin)["id"] for _ in range(3)]


def _sponsor(session: Session, budget_type: str) -> int:
    kind = "company" if budget_type == "csr" else "pemda"
    region = None if kind == "company" else "64.74"
    data = SponsorCreate(name=f"Sponsor {budget_type}", kind=kind, budget_type=budget_type, region_code=region)
    sponsor_id = service.create(session, data).id
    assert sponsor_id is not None
    return sponsor_id


def test_payer_of_follows_budget_type_and_dates(engine, pids) -> None:  # type: ignore[no-untyped-def]
    p_apbd, p_csr, p_self = pids
    with unit_of_work(engine) as s:
        apbd, csr, sawit = _sponsor(s, "apbd"), _sponsor(s, "csr"), _sponsor(s, "dbh_sawit")
        service.add_members(s, apbd, [p_apbd], JAN)
        service.add_members(s, csr, [p_csr], JAN)
        assert service.payer_of(s, p_apbd, FEB_END) == (Payer.sponsor_apbd, apbd)
        assert service.payer_of(s, p_csr, FEB_END) == (Payer.sponsor_csr, csr)
        assert service.payer_of(s, p_self, FEB_END) == (Payer.self, None)
        assert service.payer_of(s, p_apbd, date(2025, 12, 31)) == (Payer.self, None)  # before joining

        service.stop(s, apbd, MAR, "APBD habis")
        # A stopped sponsor pays no month billed from now on, not even one that began before the stop.
        assert service.payer_of(s, p_apbd, FEB_END) == (Payer.self, None)
        assert service.payer_of(s, p_apbd, MAR) == (Payer.self, None)

        # DBH Sawit is a government budget: no PP 50/2025 discount, like APBD.
        service.add_members(s, sawit, [p_apbd], MAR)
        assert service.payer_of(s, p_apbd, MAR) == (Payer.sponsor_apbd, sawit)


def test_current_sponsorships_joins_for_bulk_billing(engine, pids) -> None:  # type: ignore[no-untyped-def]
    p1, p2, p3 = pids
    with unit_of_work(engine) as s:
        apbd, csr = _sponsor(s, "apbd"), _sponsor(s, "csr")
        service.add_members(s, apbd, [p1], JAN)
        service.add_members(s, csr, [p2], JAN)
        cs = service.current_sponsorships(FEB_END).subquery()
        rows = s.exec(
            select(Participant.id, cs.c.sponsor_id, func.coalesce(cs.c.payer, Payer.self.value))
            .outerjoin(cs, cs.c.participant_id == Participant.id)
            .order_by(col(Participant.id))
        ).all()
    assert [tuple(r) for r in rows] == [(p1, apbd, "sponsor_apbd"), (p2, csr, "sponsor_csr"), (p3, None, "self")]


def test_stop_ends_memberships_and_members_on_lists_who_was_covered(engine, pids) -> None:  # type: ignore[no-untyped-def]
    p1, p2, p3 = pids
    with unit_of_work(engine) as s:
        apbd, csr = _sponsor(s, "apbd"), _sponsor(s, "csr")
        service.add_members(s, apbd, [p1, p2], JAN)
        service.remove_member(s, apbd, p2, date(2026, 2, 1))
        service.stop(s, apbd, MAR, "APBD habis")
        assert sorted(s.exec(service.members_on(apbd, FEB_END)).all()) == [p1]
        assert s.exec(service.members_on(apbd, MAR)).all() == []
        left = s.exec(select(SponsorMember.participant_id, SponsorMember.left_on).order_by(col(SponsorMember.id))).all()
        assert [tuple(r) for r in left] == [(p1, MAR), (p2, date(2026, 2, 1))]
        # The stop freed p1 for another sponsor.
        assert service.add_members(s, csr, [p1, p3], MAR).added == [p1, p3]


def test_add_members_is_all_or_nothing_on_conflict(engine, pids) -> None:  # type: ignore[no-untyped-def]
    p1, p2, _ = pids
    with unit_of_work(engine) as s:
        apbd, csr = _sponsor(s, "apbd"), _sponsor(s, "csr")
        service.add_members(s, apbd, [p2], JAN)
        with pytest.raises(Conflict):
            service.add_members(s, csr, [p1, p2], JAN)
        with pytest.raises(InvalidInput):
            service.add_members(s, csr, [p1, 987654], JAN)
        assert service.member_count(s, csr) == 0


def test_leaving_before_joining_is_refused(engine, pids) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        apbd = _sponsor(s, "apbd")
        service.add_members(s, apbd, [pids[0]], MAR)
        with pytest.raises(InvalidInput) as exc:
            service.remove_member(s, apbd, pids[0], FEB_END)
        assert exc.value.code == "left_before_joined"


def test_database_allows_one_current_sponsorship_only(engine, pids) -> None:  # type: ignore[no-untyped-def]
    pid = pids[0]
    with Session(engine) as s:
        apbd, csr = _sponsor(s, "apbd"), _sponsor(s, "csr")
        # A closed membership and a current one may coexist…
        s.add(SponsorMember(sponsor_id=apbd, participant_id=pid, joined_on=JAN, left_on=FEB_END))
        s.add(SponsorMember(sponsor_id=csr, participant_id=pid, joined_on=MAR))
        s.commit()
        # …but not two current ones.
        s.add(SponsorMember(sponsor_id=apbd, participant_id=pid, joined_on=MAR))
        with pytest.raises(IntegrityError):
            s.commit()
