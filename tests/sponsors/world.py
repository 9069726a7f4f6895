"""Builders for sponsor tests: a sponsor with members, its mandate, and the jobs that bill it."""

from datetime import date

from sqlalchemy import Engine, text

from billing.contributions.generation import generate
from billing.db import unit_of_work
from billing.gateways.base import Gateway
from billing.ledger.verify import verify
from billing.mandates import service as mandates
from billing.mandates.lifecycle import MandateAction
from billing.mandates.schemas import MandateCreate
from billing.sponsors import service
from billing.sponsors.schemas import SponsorCreate
from tests.debits.world import enrol


def sponsor_with_members(
    engine: Engine, budget_type: str, members: int, on: date, **person: object
) -> tuple[int, list[int]]:
    pids = [enrol(engine, on, None, **person) for _ in range(members)]
    kind = "company" if budget_type == "csr" else "pemda"
    with unit_of_work(engine) as s:
        body = SponsorCreate(
            name=f"Sponsor {budget_type}",
            kind=kind,
            budget_type=budget_type,
            region_code=None if kind == "company" else "64.74",
        )
        sponsor_id = service.create(s, body).id
        assert sponsor_id is not None
        service.add_members(s, sponsor_id, pids, on)
    return sponsor_id, pids


def sponsor_mandate(engine: Engine, sponsor_id: int, payment_method: str, on: date, debit_day: int = 5) -> int:
    with unit_of_work(engine) as s:
        body = MandateCreate(
            sponsor_id=sponsor_id,
            gateway="simulator",
            payment_method=payment_method,
            channel="bank",
            display="BRI ••••9999",
            debit_day=debit_day,
            consent_source="api",
        )
        m = mandates.create(s, body, "test", on)
        assert m.id is not None
        mandates.transition(s, m.id, MandateAction.activate, None, "test", on)
        return m.id


def generate_month(engine: Engine, period: date) -> None:
    with unit_of_work(engine) as s:
        generate(s, period)


def assert_books_balance(engine: Engine, gateway: Gateway | None = None) -> None:
    with engine.connect() as conn:
        result = verify(conn, gateway)
    assert result.ok, result.problems


def contributions_of(engine: Engine, pids: list[int]) -> list[tuple]:  # type: ignore[type-arg]
    """(participant, period, amount_due, status, payer, sponsor_id, paid_via) in participant, month order."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT participant_id, period, amount_due, status, payer, sponsor_id, paid_via FROM contribution"
                " WHERE participant_id IN (" + ",".join(str(p) for p in pids) + ") ORDER BY participant_id, period"
            )
        )
        return [tuple(r) for r in rows]
