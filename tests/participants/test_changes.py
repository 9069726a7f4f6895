"""PATCH /participants/{id}: a new income or programme choice prices the months from ``effective_from``;
generated months still due are priced again at once (their unsent debits cancelled), paid ones are not.
Amounts hand-computed from the seeded tariff: JKK 1% of the bracket's insured wage, JKM Rp 6,800,
JHT 2% of the declared income; PP 50/2025 halves JKK and JKM Apr-Dec 2026 outside transport."""

from datetime import date, timedelta

import pytest

from billing.contributions.generation import generate
from billing.db import unit_of_work
from billing.debits.service import start_debit_run
from billing.ledger.verify import verify
from schedulers import jobs
from tests.contributions.helpers import contributions, lines
from tests.debits.test_guards import attempts, send
from tests.debits.world import World, rows
from tests.debits.world import enrol as enrol_with_mandate
from tests.factories import auth, enrol, token

TODAY = date(2026, 12, 7)
DEC, JAN, FEB, MAR, APR, MAY = (date(2026, 12, 1), *(date(2027, m, 1) for m in range(1, 6)))


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("contributions", "participants", "mandates", "payments"):
        monkeypatch.setattr(f"billing.{module}.api.today", lambda: TODAY)


@pytest.fixture
def admin(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "admin")


def _generate(engine, *periods: date) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        for period in periods:
            generate(s, period)


def _due(engine, pid: int) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    return {
        f"{c.period:%Y-%m}": (c.amount_due, c.status) for c in contributions(engine).values() if c.participant_id == pid
    }


def _all_months(engine, pid: int) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    found = rows(engine, "SELECT period, amount_due, status FROM contribution WHERE participant_id = :p", p=pid)
    return {str(period)[:7]: (amount, status) for period, amount, status in found}


def _ledger_ok(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        result = verify(conn)
    assert result.ok, result.problems


def test_worker_adds_jht_paid_months_stay_due_months_are_priced_again(client, engine, app, admin) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    _generate(engine, DEC, JAN, FEB)
    # December and January prepaid: 8,400 (discounted) + 16,800.
    body = {"months": 2, "receipt_number": "AGEN-7", "channel": "agent", "amount": 25_200}
    prepaid = client.post(f"/api/v1/participants/{pid}/prepayments", json=body, headers=auth(token(app, "finance")))
    assert prepaid.status_code == 201, prepaid.get_json()

    worker = token(app, "worker", pid)
    change = {"programs": ["JKK", "JKM", "JHT"], "effective_from": "2026-12"}
    resp = client.patch(f"/api/v1/participants/{pid}", json=change, headers=auth(worker))
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert (data["effective_from"], data["declared_income"], data["programs"], data["repriced"]) == (
        "2026-12-01",
        1_000_000,
        ["JKK", "JKM", "JHT"],
        ["2027-02-01"],
    )
    assert _all_months(engine, pid) == {
        "2026-12": (8_400, "paid"),  # paid: not touched
        "2027-01": (16_800, "paid"),
        "2027-02": (36_800, "due"),  # 10,000 + 6,800 + JHT 20,000
    }
    feb = contributions(engine, FEB)[pid]
    assert lines(engine, feb.id) == [("JHT", 20_000, 0, 20_000), ("JKK", 10_000, 0, 10_000), ("JKM", 6_800, 0, 6_800)]
    _generate(engine, MAR)
    assert _all_months(engine, pid)["2027-03"] == (36_800, "due")

    history = client.get(f"/api/v1/participants/{pid}/profile-changes", headers=auth(admin)).get_json()["items"]
    assert [(h["effective_from"], h["declared_income"], h["programs"], h["changed_by"]) for h in history] == [
        ("2026-12-01", 1_000_000, ["JKK", "JKM"], "enrolment"),
        ("2026-12-01", 1_000_000, ["JKK", "JKM", "JHT"], f"user:{_user_id(engine, worker)}"),
    ]
    assert client.get(f"/api/v1/participants/{pid}", headers=auth(admin)).get_json()["programs"] == [
        "JKK",
        "JKM",
        "JHT",
    ]
    _ledger_ok(engine)


def _user_id(engine, tok: str) -> int:  # type: ignore[no-untyped-def]
    [(uid,)] = rows(engine, "SELECT id FROM api_user WHERE role = 'worker'")
    return int(uid)


def test_each_month_is_priced_by_the_profile_in_force_for_it(client, engine, admin) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    raise_income = {"declared_income": 2_600_000, "effective_from": "2027-03"}
    resp = client.patch(f"/api/v1/participants/{pid}", json=raise_income, headers=auth(admin))
    assert (resp.status_code, resp.get_json()["repriced"]) == (200, [])
    _generate(engine, JAN, FEB, MAR, APR)
    # Bracket 3,000,000 from March: JKK 30,000 + JKM 6,800 (no discount in 2027).
    assert _all_months(engine, pid) == {
        "2027-01": (16_800, "due"),
        "2027-02": (16_800, "due"),
        "2027-03": (36_800, "due"),
        "2027-04": (36_800, "due"),
    }
    # JHT from April keeps March's income: + 2% of 2,600,000 = 52,000.
    add_jht = {"programs": ["JKK", "JKM", "JHT"], "effective_from": "2027-04"}
    resp = client.patch(f"/api/v1/participants/{pid}", json=add_jht, headers=auth(admin))
    assert (resp.get_json()["declared_income"], resp.get_json()["repriced"]) == (2_600_000, ["2027-04-01"])
    _generate(engine, MAY)
    months = _all_months(engine, pid)
    assert (months["2027-03"], months["2027-04"], months["2027-05"]) == (
        (36_800, "due"),
        (88_800, "due"),
        (88_800, "due"),
    )
    # Lower again from February (before the later changes): February only, March on keep theirs.
    lower = {"declared_income": 500_000, "effective_from": "2027-02"}
    resp = client.patch(f"/api/v1/participants/{pid}", json=lower, headers=auth(admin))
    assert resp.get_json()["repriced"] == []  # 500,000 is in the lowest bracket: still 16,800
    assert _all_months(engine, pid)["2027-03"] == (36_800, "due")
    _ledger_ok(engine)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"declared_income": 2_000_000, "effective_from": "2026-11"}, "effective_from_in_past", "effective_from"),
        ({"declared_income": 2_000_000, "effective_from": "2027-13"}, "invalid_input", "effective_from"),
        ({"declared_income": 2_000_000, "effective_from": "2027-01-01"}, "invalid_input", "effective_from"),
        ({"declared_income": 0, "effective_from": "2027-01"}, "invalid_input", "declared_income"),
        ({"declared_income": None, "effective_from": "2027-01"}, "invalid_input", "declared_income"),
        ({"programs": ["JHT"], "effective_from": "2027-01"}, "invalid_input", "programs"),
        ({"effective_from": "2027-01"}, "invalid_input", None),
        ({"declared_income": 2_000_000}, "invalid_input", "effective_from"),
    ],
)
def test_bad_change_is_422_and_nothing_written(client, engine, admin, body, code, field) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    _generate(engine, DEC)
    resp = client.patch(f"/api/v1/participants/{pid}", json=body, headers=auth(admin))
    assert (resp.status_code, resp.mimetype) == (422, "application/problem+json")
    problem = resp.get_json()
    assert problem["code"] == code
    assert [e["field"] for e in problem["errors"]] == [field]
    assert rows(engine, "SELECT COUNT(*) FROM participant_profile_change") == [(0,)]
    assert _all_months(engine, pid) == {"2026-12": (8_400, "due")}


def test_who_may_change(client, engine, app, admin) -> None:  # type: ignore[no-untyped-def]
    mine, other = enrol(client, admin)["id"], enrol(client, admin)["id"]
    body = {"declared_income": 2_000_000, "effective_from": "2027-01"}
    worker = auth(token(app, "worker", mine))
    assert client.patch(f"/api/v1/participants/{other}", json=body, headers=worker).status_code == 404
    assert client.get(f"/api/v1/participants/{other}/profile-changes", headers=worker).status_code == 404
    assert (
        client.patch(f"/api/v1/participants/{mine}", json=body, headers=auth(token(app, "manager"))).status_code == 403
    )
    assert (
        client.patch(f"/api/v1/participants/{mine}", json=body, headers=auth(token(app, "finance"))).status_code == 200
    )
    assert client.patch(f"/api/v1/participants/{mine}", json=body, headers=worker).status_code == 200
    assert client.patch("/api/v1/participants/999999", json=body, headers=auth(admin)).status_code == 404
    cancelled = client.post(f"/api/v1/participants/{other}/cancel", json={}, headers=auth(admin))
    assert cancelled.status_code == 200
    refused = client.patch(f"/api/v1/participants/{other}", json=body, headers=auth(admin))
    assert (refused.status_code, refused.get_json()["code"]) == (409, "participant_not_billable")


def test_a_planned_debit_of_the_old_price_is_never_sent(client, engine, settings, admin) -> None:  # type: ignore[no-untyped-def]
    day = date(2026, 12, 5)
    pid = enrol_with_mandate(engine, date(2026, 12, 1), "sim_ok")
    world = World.create(engine, settings, day)
    jobs.generate_contributions(world.ctx, day)
    start_debit_run(engine, settings, day)
    change = {"programs": ["JKK", "JKM", "JHT"], "effective_from": "2026-12"}
    assert client.patch(f"/api/v1/participants/{pid}", json=change, headers=auth(admin)).status_code == 200
    assert attempts(engine) == [(1, "cancelled", "amount_changed", "sim_ok")]
    send(world)
    bank = world.gateway.bank  # type: ignore[attr-defined]
    assert bank.debits("sim_ok") == 0
    world.days(day + timedelta(days=1), day + timedelta(days=3))  # the next working day is Monday the 7th
    # December at the new price: 5,000 + 3,400 (PP 50/2025) + JHT 20,000, charged once.
    assert [c.amount for c in bank.charges()] == [28_400]
    assert _all_months(engine, pid)["2026-12"] == (28_400, "paid")
    with engine.connect() as conn:
        result = verify(conn, world.gateway)
    assert result.ok, result.problems
