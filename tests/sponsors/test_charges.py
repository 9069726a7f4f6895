"""Sponsor invoices collected through the sponsor's mandate, counted at the simulated bank: one charge
per invoice however often the job runs, or where it is killed."""

from datetime import date

import pytest
from sqlalchemy import text

from billing.db import unit_of_work
from billing.gateways.registry import load_gateway
from billing.sponsors import charges, service
from billing.sponsors.invoices import create_for_period
from schedulers import jobs
from tests.debits.world import enrol
from tests.factories import auth, token
from tests.sponsors.world import (
    assert_books_balance,
    contributions_of,
    generate_month,
    sponsor_mandate,
    sponsor_with_members,
)

MAY = date(2026, 5, 1)


def _billed(engine, budget_type: str, payment_method: str, members: int = 3) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    sponsor, pids = sponsor_with_members(engine, budget_type, members, MAY)
    sponsor_mandate(engine, sponsor, payment_method, MAY, debit_day=5)
    generate_month(engine, MAY)
    with unit_of_work(engine) as s:
        create_for_period(s, MAY)
    return sponsor, pids


def _attempts(engine) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT idempotency_key, amount, status, failure_code, next_retry_on FROM sponsor_invoice_attempt"
                " ORDER BY id"
            )
        )
        return [(r[0], r[1], r[2], r[3], None if r[4] is None else str(r[4])[:10]) for r in rows]


def _charged(gateway) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return sorted((c.idempotency_key or "", c.amount) for c in gateway.charges())


def test_a_charge_by_mandate_pays_every_members_month_once(engine, settings) -> None:  # type: ignore[no-untyped-def]
    _, pids = _billed(engine, "apbd", "sim_ok")
    gateway = load_gateway("simulator")
    ctx = jobs.JobContext(settings, engine, gateway)

    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 4)) == {}  # before the mandate's debit day
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"succeeded": 1}
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {}  # the job twice
    jobs.settle_unknown_outcomes(ctx, date(2026, 5, 6))

    assert _charged(gateway) == [("inv1-1", 3 * 16_800)]
    assert [(r[3], r[6]) for r in contributions_of(engine, pids)] == [("paid", "sponsor")] * 3
    with engine.connect() as conn:
        invoice = conn.execute(text("SELECT amount_paid, unapplied, status FROM sponsor_invoice")).one()
    assert tuple(invoice) == (50_400, 0, "paid")
    assert_books_balance(engine, gateway)


def test_killed_between_writing_the_attempt_and_resolving_it(engine, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, pids = _billed(engine, "csr", "sim_ok", members=2)
    gateway = load_gateway("simulator")
    ctx = jobs.JobContext(settings, engine, gateway)
    real = charges.resolve

    def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SystemExit("killed after the gateway call")

    monkeypatch.setattr(charges, "resolve", killed)
    with pytest.raises(SystemExit):
        jobs.sponsor_charges_run(ctx, date(2026, 5, 5))
    assert [a[2] for a in _attempts(engine)] == ["pending"]  # sent, outcome not written
    assert _charged(gateway) == [("inv1-1", 2 * 8_400)]

    monkeypatch.setattr(charges, "resolve", real)
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"succeeded": 1}  # asked, not charged again
    jobs.sponsor_charges_run(ctx, date(2026, 5, 6))
    assert _charged(gateway) == [("inv1-1", 2 * 8_400)]
    assert [r[3] for r in contributions_of(engine, pids)] == ["paid", "paid"]
    assert_books_balance(engine, gateway)


def test_killed_after_planning_before_the_call(engine, settings) -> None:  # type: ignore[no-untyped-def]
    _billed(engine, "apbd", "sim_ok", members=1)
    gateway = load_gateway("simulator")
    with engine.begin() as conn:
        assert charges.plan(conn, date(2026, 5, 5)) == 1
        assert charges.plan(conn, date(2026, 5, 5)) == 0  # planned once
    assert _charged(gateway) == []
    ctx = jobs.JobContext(settings, engine, gateway)
    jobs.settle_unknown_outcomes(ctx, date(2026, 5, 5))  # the frequent job sends what was left pending
    assert _charged(gateway) == [("inv1-1", 16_800)]
    assert_books_balance(engine, gateway)


def test_a_timeout_is_settled_with_the_same_key(engine, settings) -> None:  # type: ignore[no-untyped-def]
    _billed(engine, "apbd", "sim_timeout_then_ok", members=1)
    gateway = load_gateway("simulator")
    ctx = jobs.JobContext(settings, engine, gateway)
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"unknown": 1}
    with engine.begin() as conn:
        conn.execute(text("UPDATE sponsor_invoice_attempt SET retry_at = created_at"))  # its time has come
    jobs.settle_unknown_outcomes(ctx, date(2026, 5, 5))
    assert [a[:3] for a in _attempts(engine)] == [("inv1-1", 16_800, "succeeded")]
    assert _charged(gateway) == [("inv1-1", 16_800)]
    assert_books_balance(engine, gateway)


def test_a_soft_failure_is_retried_with_a_new_key(app, client, engine, settings) -> None:  # type: ignore[no-untyped-def]
    sponsor, pids = _billed(engine, "apbd", "sim_insufficient_funds", members=1)
    gateway = load_gateway("simulator")
    ctx = jobs.JobContext(settings, engine, gateway)
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"failed": 1}
    # Listable for finance: status, failure code and the retry day (the payday policy: the 14th).
    assert _attempts(engine) == [("inv1-1", 16_800, "failed", "insufficient_funds", "2026-05-14")]
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 13)) == {}
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 14)) == {"failed": 1}
    assert [a[0] for a in _attempts(engine)] == ["inv1-1", "inv1-2"]
    assert [r[3] for r in contributions_of(engine, pids)] == ["due"]
    assert _charged(gateway) == []
    assert_books_balance(engine, gateway)
    shown = client.get(f"/api/v1/sponsors/{sponsor}/invoices/2026-05", headers=auth(token(app, "finance")))
    charges_shown = [(c["idempotency_key"], c["status"], c["failure_code"]) for c in shown.get_json()["charges"]]
    assert charges_shown == [("inv1-1", "failed", "insufficient_funds"), ("inv1-2", "failed", "insufficient_funds")]


def test_a_hard_failure_stops_and_suspends_the_mandate(engine, settings) -> None:  # type: ignore[no-untyped-def]
    _billed(engine, "apbd", "sim_account_closed", members=1)
    gateway = load_gateway("simulator")
    ctx = jobs.JobContext(settings, engine, gateway)
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"failed": 1}
    assert _attempts(engine) == [("inv1-1", 16_800, "failed", "account_closed", None)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM mandate")).scalar_one() == "suspended"
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 25)) == {}


def test_a_transfer_after_planning_cancels_the_charge_of_the_old_amount(app, client, engine, settings) -> None:  # type: ignore[no-untyped-def]
    sponsor, pids = _billed(engine, "apbd", "sim_ok", members=2)
    gateway = load_gateway("simulator")
    with engine.begin() as conn:
        charges.plan(conn, date(2026, 5, 5))
    body = {"receipt_number": "TRF-9", "amount": 16_800, "received_on": "2026-05-05"}
    resp = client.post(
        f"/api/v1/sponsors/{sponsor}/invoices/2026-05/payments", json=body, headers=auth(token(app, "finance"))
    )
    assert resp.status_code == 201, resp.get_json()
    ctx = jobs.JobContext(settings, engine, gateway)
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"cancelled": 1}
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 6)) == {"succeeded": 1}  # the rest, with a new key
    assert _charged(gateway) == [("inv1-2", 16_800)]
    assert [r[3] for r in contributions_of(engine, pids)] == ["paid", "paid"]
    assert_books_balance(engine, gateway)


def test_a_member_billed_after_the_charge_is_charged_too(engine, settings) -> None:  # type: ignore[no-untyped-def]
    sponsor, pids = _billed(engine, "apbd", "sim_ok", members=2)
    gateway = load_gateway("simulator")
    ctx = jobs.JobContext(settings, engine, gateway)
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 5)) == {"succeeded": 1}
    newcomer = enrol(engine, date(2026, 5, 7), None)
    with unit_of_work(engine) as s:
        service.add_members(s, sponsor, [newcomer], MAY)
    generate_month(engine, MAY)
    assert jobs.sponsor_invoices(ctx, date(2026, 5, 8)) == 0
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT member_count, total, status FROM sponsor_invoice")).one()) == (
            3,
            3 * 16_800,
            "open",
        )
    assert jobs.sponsor_charges_run(ctx, date(2026, 5, 8)) == {"succeeded": 1}
    assert _charged(gateway) == [("inv1-1", 2 * 16_800), ("inv1-2", 16_800)]
    assert [r[3] for r in contributions_of(engine, [*pids, newcomer])] == ["paid"] * 3
    assert_books_balance(engine, gateway)
