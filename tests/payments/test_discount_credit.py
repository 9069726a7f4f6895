"""PP 50/2025: months paid at full price inside a discount window become credit for later months.

A worker prepaid April-June 2026 at Rp 16,800 before the rule's row existed; once it is added, each of
those months costs Rp 8,400 (JKK 5,000 + JKM 3,400) and the Rp 8,400 × 3 paid beyond it is credit that
pays July-September (Rp 8,400 each, inside the window too)."""

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from billing.contributions.generation import generate
from billing.db import unit_of_work
from billing.ledger.verify import verify
from billing.payments import credit
from billing.sponsors.models import BudgetType
from billing.tariffs.models import DiscountRule
from schedulers import jobs
from tests.contributions.helpers import lines, participant, sponsor
from tests.debits.world import rows
from tests.factories import auth, token

APRIL_1 = date(2026, 4, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("contributions", "participants", "payments"):
        monkeypatch.setattr(f"billing.{module}.api.today", lambda: APRIL_1)


@pytest.fixture
def rule_not_yet_added(engine: Engine) -> Iterator[DiscountRule]:
    """The other sectors' PP 50/2025 row taken out (reference data: put back whatever happens)."""
    with unit_of_work(engine) as s:
        [found] = s.exec(select(DiscountRule).where(DiscountRule.exclude_sector_category == "transport")).all()
        saved = DiscountRule.model_validate(found.model_dump())
        s.delete(found)
    yield saved
    with unit_of_work(engine) as s:
        if s.exec(select(DiscountRule).where(DiscountRule.name == saved.name)).first() is None:
            s.add(DiscountRule.model_validate(saved.model_dump()))


def _months(engine: Engine, pid: int) -> dict[str, tuple[int, int, str]]:
    found = rows(
        engine, "SELECT period, amount_due, amount_paid, status FROM contribution WHERE participant_id = :p", p=pid
    )
    return {str(period)[:7]: (due, paid, status) for period, due, paid, status in found}


def _balance(engine: Engine, pid: int) -> int:
    found = rows(engine, "SELECT balance FROM participant_credit WHERE participant_id = :p", p=pid)
    return int(found[0][0]) if found else 0


def _verified(engine: Engine) -> None:
    with engine.connect() as conn:
        result = verify(conn)
    assert result.ok, result.problems


def test_prepaid_full_price_months_become_credit_for_later_months(  # type: ignore[no-untyped-def]
    app, client, engine, settings, rule_not_yet_added
) -> None:
    admin, finance = token(app, "admin"), token(app, "finance")
    prepaid = participant(client, admin)
    unpaid = participant(client, admin)
    apbd = participant(client, admin)
    sponsor(engine, BudgetType.apbd, [apbd], APRIL_1)
    body = {"months": 3, "receipt_number": "AGEN-4", "channel": "agent", "amount": 3 * 16_800}
    resp = client.post(f"/api/v1/participants/{prepaid}/prepayments", json=body, headers=auth(finance))
    assert resp.status_code == 201, resp.get_json()
    with unit_of_work(engine) as s:
        generate(s, APRIL_1)
    assert _months(engine, prepaid) == {m: (16_800, 16_800, "paid") for m in ("2026-04", "2026-05", "2026-06")}

    with unit_of_work(engine) as s:  # the tariff row is added
        s.add(DiscountRule.model_validate(rule_not_yet_added.model_dump(exclude={"id"})))
    ctx = jobs.JobContext(settings, engine)
    assert jobs.discount_credit(ctx, date(2026, 4, 2)) == 4

    assert _months(engine, prepaid) == {m: (8_400, 8_400, "paid") for m in ("2026-04", "2026-05", "2026-06")}
    assert _balance(engine, prepaid) == 3 * 8_400
    april = rows(engine, "SELECT id FROM contribution WHERE participant_id = :p ORDER BY period", p=prepaid)[0][0]
    assert lines(engine, april) == [("JKK", 10_000, 5_000, 5_000), ("JKM", 6_800, 3_400, 3_400)]
    transfers = rows(
        engine,
        "SELECT key, kind, debit_account, credit_account, amount FROM ledger_transfer"
        " WHERE key LIKE 'discount_credit:%' AND participant_id = :p ORDER BY contribution_id",
        p=prepaid,
    )
    assert transfers[0] == (
        f"discount_credit:{april}",
        "repriced",
        "contributions_receivable",
        "participant_credit",
        8_400,
    )
    assert [t[4] for t in transfers] == [8_400] * 3
    # A month not yet paid simply owes less; a budget-paid (APBD) month is not discounted.
    assert _months(engine, unpaid) == {"2026-04": (8_400, 0, "due")}
    assert _months(engine, apbd) == {"2026-04": (16_800, 0, "due")}
    _verified(engine)

    assert jobs.discount_credit(ctx, date(2026, 4, 3)) == 0  # daily: nothing twice
    assert _balance(engine, prepaid) == 3 * 8_400

    with unit_of_work(engine) as s:
        for month in (7, 8, 9):
            generate(s, date(2026, month, 1), [prepaid])
        assert credit.apply_all(s.connection(), date(2026, 7, 1)) == 3 * 8_400
    months = _months(engine, prepaid)
    assert [months[m] for m in ("2026-07", "2026-08", "2026-09")] == [(8_400, 8_400, "paid")] * 3
    assert rows(
        engine,
        "SELECT DISTINCT paid_via FROM contribution WHERE participant_id = :p AND period >= '2026-07-01'",
        p=prepaid,
    ) == [("credit",)]
    assert _balance(engine, prepaid) == 0
    _verified(engine)


def test_transport_window_and_months_outside_any_window_keep_their_price(  # type: ignore[no-untyped-def]
    app, client, engine, settings, monkeypatch
) -> None:
    """Generated with the rules in place, every month already has its price: nothing to credit."""
    # Enrolled in January 2026: billing starts with the enrolment month.
    monkeypatch.setattr("billing.participants.api.today", lambda: date(2026, 1, 5))
    admin = token(app, "admin")
    driver = participant(client, admin, sector_category="transport")
    trader = participant(client, admin)
    with unit_of_work(engine) as s:
        for period in (date(2026, 2, 1), date(2027, 2, 1)):
            generate(s, period)
    assert jobs.discount_credit(jobs.JobContext(settings, engine), date(2026, 2, 2)) == 0
    # Transport from January 2026 (8,400); other sectors only April-December 2026 (16,800 in February).
    assert _months(engine, driver) == {"2026-02": (8_400, 0, "due"), "2027-02": (8_400, 0, "due")}
    assert _months(engine, trader) == {"2026-02": (16_800, 0, "due"), "2027-02": (16_800, 0, "due")}


def test_the_command_run_after_adding_a_tariff_row(app, client, engine, rule_not_yet_added) -> None:  # type: ignore[no-untyped-def]
    pid = participant(client, token(app, "admin"))
    with unit_of_work(engine) as s:
        generate(s, APRIL_1)
        s.add(DiscountRule.model_validate(rule_not_yet_added.model_dump(exclude={"id"})))
    result = app.test_cli_runner().invoke(args=["tariffs", "discount-credit"])
    assert result.exit_code == 0, result.output
    assert "1 months priced down, Rp 0 credited" in result.output
    assert _months(engine, pid) == {"2026-04": (8_400, 0, "due")}
