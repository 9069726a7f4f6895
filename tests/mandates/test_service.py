from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing.db import unit_of_work
from billing.errors import Conflict
from billing.mandates import service
from billing.mandates.lifecycle import MandateAction
from billing.mandates.models import Mandate, MandateEvent, MandateStatus
from billing.mandates.schemas import MandateCreate
from billing.timeutil import utcnow
from tests.factories import enrol, token

ON = date(2026, 4, 15)


@pytest.fixture
def pid(app, client) -> int:  # type: ignore[no-untyped-def]
    return enrol(client, token(app, "admin"))["id"]


def _create(session: Session, participant_id: int) -> Mandate:
    data = MandateCreate(
        participant_id=participant_id,
        gateway="simulator",
        payment_method="sim_ok",
        channel="bank",
        display="BRI ••••1234",
        debit_day=5,
        consent_source="agent",
    )
    return service.create(session, data, "7", ON)


def _events(session: Session, mandate_id: int) -> list[tuple[str | None, str, str | None, str, date]]:
    rows = session.exec(
        select(MandateEvent).where(MandateEvent.mandate_id == mandate_id).order_by(col(MandateEvent.id))
    ).all()
    return [(e.from_status, e.to_status, e.reason, e.actor, e.occurred_on) for e in rows]


def test_suspend_for_failure_joins_the_callers_transaction(engine, pid) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        mandate = _create(s, pid)
        service.transition(s, mandate.id, MandateAction.activate, None, "7", ON)
        s.commit()
        service.suspend_for_failure(s, mandate.id, "insufficient_funds", date(2026, 5, 16))
        s.rollback()  # the engine's transaction failed: nothing of the suspension stays
        assert s.get_one(Mandate, mandate.id).status == MandateStatus.active

        suspended = service.suspend_for_failure(s, mandate.id, "insufficient_funds", date(2026, 5, 16))
        s.commit()
        assert (suspended.status, suspended.status_reason) == (MandateStatus.suspended, "insufficient_funds")
        # A second failure signal changes nothing.
        service.suspend_for_failure(s, mandate.id, "account_closed", date(2026, 5, 17))
        s.commit()
        assert s.get_one(Mandate, mandate.id).status_reason == "insufficient_funds"
        assert _events(s, mandate.id) == [
            (None, "pending", "created", "7", ON),
            ("pending", "active", None, "7", ON),
            ("active", "suspended", "insufficient_funds", "system", date(2026, 5, 16)),
        ]


def test_expire_is_final(engine, pid) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        mandate = _create(s, pid)
        service.transition(s, mandate.id, MandateAction.activate, None, "7", ON)
        expired = service.transition(s, mandate.id, MandateAction.expire, "card_expired", "system", ON)
        assert expired.status == MandateStatus.expired
        with pytest.raises(Conflict) as exc:
            service.transition(s, mandate.id, MandateAction.revoke, None, "7", ON)
        assert exc.value.code == "invalid_mandate_transition"
        # Expired is not live: a new mandate may be created.
        assert _create(s, pid).status == MandateStatus.pending


def _raw(session: Session, **overrides: object) -> None:
    values: dict[str, object] = {
        "gateway": "simulator",
        "payment_method": "sim_ok",
        "channel": "bank",
        "display": "x",
        "debit_day": 5,
        "consent_at": utcnow(),
        "consent_source": "api",
    }
    values.update(overrides)
    session.add(Mandate(**values))
    session.commit()


@pytest.mark.parametrize(
    "overrides",
    [
        {"debit_day": 16},  # after the due date (the 15th)
        {"debit_day": 0},
        {"sponsor_id": None, "participant_id": None},
        {"status": "active"},  # a second live mandate, next to the pending one
    ],
)
def test_database_enforces_the_rules_too(engine, pid, overrides) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        _raw(s, participant_id=pid, status="pending")
        _raw(s, participant_id=pid, status="revoked")  # closed ones do not count
        with pytest.raises(IntegrityError):
            _raw(s, **{"participant_id": pid, **overrides})
