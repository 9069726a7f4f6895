"""Maker-checker: a waiver above BILLING_WAIVER_APPROVAL_ABOVE waits for a second finance user. The
maker cannot decide it; another user approves (the month is waived, its planned debit never sent) or
rejects (the month stays due and is still collected). At or below the limit a waiver is immediate."""

from datetime import timedelta

import pytest

from billing.settings import Settings
from tests.casework.world import DAY
from tests.debits.world import rows

REASON = {"reason": "rumah terkena banjir"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"waiver_approval_above": 10_000})


def _request(client, headers, cid):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/contributions/{cid}/waiver-requests", json=REASON, headers=headers)


def _decide(client, headers, request_id, verdict):  # type: ignore[no-untyped-def]
    body = {"reason": "bukti foto ada"}
    return client.post(f"/api/v1/waiver-requests/{request_id}/{verdict}", json=body, headers=headers)


def _status(case) -> str:  # type: ignore[no-untyped-def]
    return rows(case.world.engine, "SELECT status FROM contribution WHERE id = :c", c=case.contribution_id)[0][0]


def _write_offs(case) -> list[tuple[int]]:  # type: ignore[no-untyped-def]
    return rows(case.world.engine, "SELECT amount FROM ledger_transfer WHERE kind = 'write_off'")


def test_the_maker_cannot_approve_a_second_user_can(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_ok", "planned")
    made = _request(client, staff["finance"], case.contribution_id)
    assert made.status_code == 201, made.get_json()
    request = made.get_json()["request"]
    assert (made.get_json()["status"], request["status"], request["amount"]) == ("approval_needed", "pending", 16_800)
    assert _status(case) == "due"
    again = _request(client, staff["finance-2"], case.contribution_id)
    assert (again.status_code, again.get_json()["code"]) == (409, "waiver_pending")
    pending = client.get("/api/v1/waiver-requests", headers=staff["admin"]).get_json()["items"]
    assert [p["id"] for p in pending] == [request["id"]]

    own = _decide(client, staff["finance"], request["id"], "approve")
    assert (own.status_code, own.get_json()["code"]) == (403, "maker_cannot_decide")
    assert _decide(client, staff["manager"], request["id"], "approve").status_code == 403
    assert _status(case) == "due"

    approved = _decide(client, staff["finance-2"], request["id"], "approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    assert _status(case) == "waived"
    assert _write_offs(case) == [(16_800,)]
    twice = _decide(client, staff["admin"], request["id"], "reject")
    assert (twice.status_code, twice.get_json()["code"]) == (409, "waiver_already_decided")
    # The planned debit of the waived month is never sent.
    case.world.day(DAY)
    assert case.charges() == 0
    actions = rows(case.world.engine, "SELECT action, role FROM audit_record WHERE action LIKE 'case.%' ORDER BY id")
    assert actions == [("case.waiver_requested", "finance"), ("case.waiver_approved", "finance")]
    makers = rows(case.world.engine, "SELECT DISTINCT user_id FROM audit_record WHERE action LIKE 'case.waiver%'")
    assert len(makers) == 2
    case.proved()


def test_a_rejection_leaves_the_month_due_and_collected(client, staff, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_until_payday_25")
    request = _request(client, staff["finance"], case.contribution_id).get_json()["request"]
    rejected = _decide(client, staff["admin"], request["id"], "reject")
    assert rejected.status_code == 200, rejected.get_json()
    assert (rejected.get_json()["status"], rejected.get_json()["decision_reason"]) == ("rejected", "bukti foto ada")
    assert _status(case) == "due" and _write_offs(case) == []
    assert client.get("/api/v1/waiver-requests", headers=staff["admin"]).get_json()["items"] == []
    # Still collected: the payday retry takes it.
    day = DAY + timedelta(days=20)
    case.on(day, monkeypatch)
    case.world.days(DAY + timedelta(days=1), day)
    assert (_status(case), case.bank.debits(case.method)) == ("paid", 1)
    actions = rows(case.world.engine, "SELECT action FROM audit_record WHERE action LIKE 'case.%' ORDER BY id")
    assert actions == [("case.waiver_requested",), ("case.waiver_rejected",)]
    case.proved()


def test_an_approval_of_a_month_paid_meanwhile_is_refused_and_stays_pending(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    request = _request(client, staff["finance"], case.contribution_id).get_json()["request"]
    body = {"receipt_number": "AGEN-9", "channel": "agent", "amount": 16_800, "paid_on": str(DAY)}
    url = f"/api/v1/contributions/{case.contribution_id}/offline-payment"
    assert client.post(url, json=body, headers=staff["finance-2"]).status_code == 200
    late = _decide(client, staff["finance-2"], request["id"], "approve")
    assert (late.status_code, late.get_json()["code"]) == (409, "contribution_already_paid")
    assert _write_offs(case) == []
    assert _decide(client, staff["finance-2"], request["id"], "reject").status_code == 200


def test_the_admin_waive_route_keeps_to_the_limit(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    url = f"/api/v1/contributions/{case.contribution_id}/waive"
    resp = client.post(url, json=REASON, headers=staff["admin"])
    assert (resp.status_code, resp.get_json()["code"]) == (409, "waiver_needs_approval")
    assert _status(case) == "due"


@pytest.mark.parametrize("limit", [16_800, 50_000])
def test_at_or_below_the_limit_a_waiver_is_immediate(client, staff, make_case, settings, app, limit: int) -> None:  # type: ignore[no-untyped-def]
    app.extensions["billing.settings"] = settings.model_copy(update={"waiver_approval_above": limit})
    case = make_case("sim_insufficient_funds")
    resp = _request(client, staff["finance"], case.contribution_id)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "contribution_id": case.contribution_id,
        "status": "waived",
        "written_off": 16_800,
        "request": None,
    }
    assert _status(case) == "waived" and _write_offs(case) == [(16_800,)]
    assert rows(case.world.engine, "SELECT action FROM audit_record WHERE action LIKE 'case.%'") == [("case.waive",)]
