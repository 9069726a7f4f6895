from datetime import date

import pytest

from billing.contributions.generation import generate
from billing.db import unit_of_work
from billing.participants.models import CoverageStatus
from tests.contributions.helpers import contributions, count, lines, participant, set_membership_from, set_status
from tests.debits.world import rows
from tests.factories import auth, token

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("billing.contributions.api.today", lambda: TODAY)


@pytest.fixture
def admin(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "admin")


@pytest.fixture
def finance(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "finance")


@pytest.fixture
def trader(client, admin) -> int:  # type: ignore[no-untyped-def]
    return participant(client, admin)


@pytest.fixture
def worker(app, trader) -> str:  # type: ignore[no-untyped-def]
    return token(app, "worker", trader)


def _generate(engine, period: date) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        generate(s, period)
    return {pid: c.id for pid, c in contributions(engine, period).items()}  # type: ignore[misc]


def test_finance_records_a_prepayment_of_three_months(client, engine, trader, finance) -> None:  # type: ignore[no-untyped-def]
    set_membership_from(engine, trader, date(2026, 11, 1))
    november = _generate(engine, date(2026, 11, 1))[trader]
    resp = client.post(
        f"/api/v1/participants/{trader}/prepayments",
        json={"months": 3, "receipt_number": "KW-2026-0042", "amount": 33_600},
        headers=auth(finance),
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    # November and December 2026 at the PP 50/2025 price, January 2027 at full price.
    assert [(c["period"], c["amount_due"], c["amount_paid"], c["status"], c["paid_via"]) for c in body["items"]] == [
        ("2026-11", 8_400, 8_400, "paid", "offline"),
        ("2026-12", 8_400, 8_400, "paid", "offline"),
        ("2027-01", 16_800, 16_800, "paid", "offline"),
    ]
    assert body["total_paid"] == 33_600
    assert body["participant_status"] == "active"  # November was due on the 15th, and is paid now
    assert body["items"][0]["id"] == november  # the generated month was paid, not duplicated
    assert {c["receipt_number"] for c in body["items"]} == {"KW-2026-0042"}
    assert {c["paid_on"] for c in body["items"]} == {"2026-11-20"}
    assert body["items"][2]["due_date"] == "2027-01-15"
    assert lines(engine, body["items"][2]["id"]) == [("JKK", 10_000, 0, 10_000), ("JKM", 6_800, 0, 6_800)]
    # One receipt, posted month by month from the branch's cash to the receivables.
    assert rows(engine, "SELECT channel, number, amount FROM receipt") == [("branch", "KW-2026-0042", 33_600)]
    assert rows(engine, "SELECT SUM(amount) FROM ledger_transfer WHERE debit_account = 'cash_branch'") == [(33_600,)]
    # The next prepayment starts after the paid months; a receipt number is used once per channel.
    url = f"/api/v1/participants/{trader}/prepayments"
    reused = client.post(
        url, json={"months": 1, "receipt_number": "KW-2026-0042", "amount": 16_800}, headers=auth(finance)
    )
    assert (reused.status_code, reused.get_json()["code"]) == (409, "receipt_number_taken")
    again = client.post(url, json={"months": 1, "receipt_number": "KW-2", "amount": 16_800}, headers=auth(finance))
    assert [c["period"] for c in again.get_json()["items"]] == ["2027-02"]


def test_a_worker_cannot_record_their_own_months_paid(client, engine, trader, worker) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(
        f"/api/v1/participants/{trader}/prepayments",
        json={"months": 12, "receipt_number": "SAYA-SUDAH-BAYAR", "amount": 184_800},
        headers=auth(worker),
    )
    assert (resp.status_code, resp.get_json()["code"]) == (403, "role_not_allowed")
    assert count(engine) == 0
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(0,)]


def test_an_amount_other_than_what_is_owed_is_refused(client, engine, trader, finance) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(
        f"/api/v1/participants/{trader}/prepayments",
        json={"months": 3, "receipt_number": "KW-1", "amount": 16_800},
        headers=auth(finance),
    )
    assert (resp.status_code, resp.get_json()["code"]) == (422, "amount_mismatch")
    assert "33.600" in resp.get_json()["detail"]
    assert count(engine) == 0
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(0,)]


def test_prepay_beyond_twelve_months_is_refused_whole(client, engine, trader, finance) -> None:  # type: ignore[no-untyped-def]
    set_membership_from(engine, trader, date(2026, 11, 1))
    url = f"/api/v1/participants/{trader}/prepayments"
    year = 2 * 8_400 + 10 * 16_800  # two discounted months, then full price
    first = client.post(url, json={"months": 12, "receipt_number": "A1", "amount": year}, headers=auth(finance))
    assert first.status_code == 201, first.get_json()
    resp = client.post(url, json={"months": 2, "receipt_number": "A2", "amount": 33_600}, headers=auth(finance))
    # Paid up to 2027-10; only 2027-11 is left within the 12-month horizon.
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "prepay_beyond_horizon"
    assert count(engine) == 12


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"months": 0, "receipt_number": "A1", "amount": 8_400}, "months"),
        ({"months": 13, "receipt_number": "A1", "amount": 8_400}, "months"),
        ({"months": 3, "amount": 33_600}, "receipt_number"),
        ({"months": 3, "receipt_number": "A1"}, "amount"),
        ({"months": 1, "receipt_number": "A1", "amount": True}, "amount"),
        ({"months": 1, "receipt_number": "A1", "amount": 8_400, "channel": "history"}, "channel"),
    ],
)
def test_prepay_422_writes_nothing(client, engine, trader, finance, body, field) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(f"/api/v1/participants/{trader}/prepayments", json=body, headers=auth(finance))
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]
    assert count(engine) == 0


def test_prepay_for_an_ended_participant_is_409(client, engine, trader, finance) -> None:  # type: ignore[no-untyped-def]
    set_status(engine, trader, CoverageStatus.ended)
    resp = client.post(
        f"/api/v1/participants/{trader}/prepayments",
        json={"months": 1, "receipt_number": "A1", "amount": 8_400},
        headers=auth(finance),
    )
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "membership_ended"
    assert count(engine) == 0


def test_worker_sees_only_their_own(client, app, admin, engine, trader, worker) -> None:  # type: ignore[no-untyped-def]
    other = participant(client, admin)
    _generate(engine, date(2026, 5, 1))
    own = client.get(f"/api/v1/participants/{trader}/contributions", headers=auth(worker))
    assert own.status_code == 200
    assert [(c["period"], c["amount_due"]) for c in own.get_json()["items"]] == [("2026-05", 8_400)]
    assert own.get_json()["items"][0]["lines"][0] == {
        "program": "JKK",
        "base_amount": 10_000,
        "discount_amount": 5_000,
        "amount": 5_000,
    }
    resp = client.get(f"/api/v1/participants/{other}/contributions", headers=auth(worker))
    assert (resp.status_code, resp.get_json()["code"]) == (404, "participant_not_found")
    assert count(engine) == 2


def test_listing_filters_and_pages(client, engine, trader, finance, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("billing.contributions.api.today", lambda: date(2026, 1, 20))
    set_membership_from(engine, trader, date(2025, 11, 1))
    nov = _generate(engine, date(2025, 11, 1))[trader]
    _generate(engine, date(2025, 12, 1))
    _generate(engine, date(2026, 1, 1))
    resp = client.post(
        f"/api/v1/contributions/{nov}/offline-payment",
        json={"receipt_number": "R1", "paid_on": "2026-01-10", "amount": 16_800},
        headers=auth(finance),
    )
    assert (resp.status_code, resp.get_json()["participant_status"]) == (200, "in_arrears")  # December, January
    url = f"/api/v1/participants/{trader}/contributions"
    periods = [c["period"] for c in client.get(url, headers=auth(finance)).get_json()["items"]]
    assert periods == ["2026-01", "2025-12", "2025-11"]
    due_2025 = client.get(url, query_string={"year": 2025, "status": "due"}, headers=auth(finance)).get_json()
    assert (due_2025["total"], [c["period"] for c in due_2025["items"]]) == (1, ["2025-12"])
    paid = client.get(url, query_string={"status": "paid"}, headers=auth(finance)).get_json()
    assert [c["period"] for c in paid["items"]] == ["2025-11"]
    page2 = client.get(url, query_string={"per_page": 2, "page": 2}, headers=auth(finance)).get_json()
    assert (page2["total"], [c["period"] for c in page2["items"]]) == (3, ["2025-11"])
    bad = client.get(url, query_string={"status": "late"}, headers=auth(finance))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.get_json()["errors"]] == ["status"]
    assert client.get("/api/v1/participants/999999/contributions", headers=auth(finance)).status_code == 404


def test_offline_payment_then_409(client, engine, trader, finance, worker, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("billing.contributions.api.today", lambda: date(2026, 5, 20))
    set_membership_from(engine, trader, date(2026, 5, 1))
    cid = _generate(engine, date(2026, 5, 1))[trader]
    url = f"/api/v1/contributions/{cid}/offline-payment"
    body = {"receipt_number": "KW-77", "paid_on": "2026-05-12", "amount": 8_400}
    assert client.post(url, json=body, headers=auth(worker)).status_code == 403
    resp = client.post(url, json=body, headers=auth(finance))
    assert resp.status_code == 200, resp.get_json()
    paid = resp.get_json()
    assert (paid["status"], paid["paid_via"], paid["paid_on"], paid["receipt_number"]) == (
        "paid",
        "offline",
        "2026-05-12",
        "KW-77",
    )
    assert paid["paid_at"] is not None
    again = client.post(
        url, json={"receipt_number": "KW-78", "paid_on": "2026-05-13", "amount": 8_400}, headers=auth(finance)
    )
    assert again.status_code == 409
    assert again.get_json()["code"] == "contribution_already_paid"
    assert contributions(engine)[trader].receipt_number == "KW-77"
    missing = client.post("/api/v1/contributions/999999/offline-payment", json=body, headers=auth(finance))
    assert (missing.status_code, missing.get_json()["code"]) == (404, "contribution_not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paid_on": "2026-05-12", "amount": 8_400}, "receipt_number"),
        ({"receipt_number": "KW 1", "paid_on": "2026-05-12", "amount": 8_400}, "receipt_number"),
        ({"receipt_number": "KW-1", "paid_on": "12/05/2026", "amount": 8_400}, "paid_on"),
        ({"receipt_number": "KW-1", "paid_on": "2026-11-21", "amount": 8_400}, "paid_on"),  # after "today"
        ({"receipt_number": "KW-1", "paid_on": "2026-05-12", "amount": 8_401}, "amount"),
        ({"receipt_number": "KW-1", "paid_on": "2026-05-12"}, "amount"),
    ],
)
def test_offline_payment_422_writes_nothing(client, engine, trader, finance, body, field) -> None:  # type: ignore[no-untyped-def]
    cid = _generate(engine, date(2026, 5, 1))[trader]
    resp = client.post(f"/api/v1/contributions/{cid}/offline-payment", json=body, headers=auth(finance))
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]
    assert contributions(engine)[trader].status == "due"


def test_waive_is_admin_only(client, engine, trader, admin, finance, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("billing.contributions.api.today", lambda: date(2026, 5, 20))
    set_membership_from(engine, trader, date(2026, 5, 1))
    cid = _generate(engine, date(2026, 5, 1))[trader]
    url = f"/api/v1/contributions/{cid}/waive"
    assert client.post(url, json={"reason": "bencana banjir"}, headers=auth(finance)).status_code == 403
    short = client.post(url, json={"reason": "x"}, headers=auth(admin))
    assert (short.status_code, [e["field"] for e in short.get_json()["errors"]]) == (422, ["reason"])
    resp = client.post(url, json={"reason": "bencana banjir"}, headers=auth(admin))
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["waive_reason"]) == ("waived", "bencana banjir")
    pay = client.post(
        f"/api/v1/contributions/{cid}/offline-payment",
        json={"receipt_number": "KW-1", "paid_on": "2026-05-12", "amount": 8_400},
        headers=auth(admin),
    )
    assert (pay.status_code, pay.get_json()["code"]) == (409, "contribution_waived")
