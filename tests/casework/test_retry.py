"""Retry now: a new attempt with a new key through the engine's guarded path, counted at the simulated
bank; refused, with nothing reaching the bank, for a hard failure, past the limit, a month not due, a
mandate not active and a debit in flight; a form submitted twice charges once."""

import threading
from datetime import date, timedelta

import pytest

from billing import db
from billing.auth.models import ApiUser, Role
from billing.casework import actions
from billing.debits.execution import work
from billing.debits.policy import from_settings as retry_policy
from billing.errors import BillingError
from tests.casework.world import DAY
from tests.debits.world import rows
from tests.factories import staff as staff_user

REASON = {"reason": "Peserta sudah isi saldo"}


def _retry(client, staff, cid, **extra):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/contributions/{cid}/retry", json={**REASON, **extra}, headers=staff["finance"])


def _refused(resp, code: str) -> None:  # type: ignore[no-untyped-def]
    body = resp.get_json()
    assert (resp.status_code, body["code"]) == (409, code), body
    assert " / " in body["detail"]  # Indonesian, then English


def test_a_retry_after_payday_charges_once_and_pays_the_month(client, staff, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_until_payday_25")
    assert case.attempts() == [(1, "scheduled", "failed", "insufficient_funds", None)]
    case.on(date(2024, 6, 26), monkeypatch)
    resp = _retry(client, staff, case.contribution_id, expected_attempt_no=1)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "planned"
    assert body["attempt"] == {
        "id": body["attempt"]["id"],
        "attempt_no": 2,
        "idempotency_key": f"ct{case.contribution_id}-2",
        "amount": 16_800,
        "status": "succeeded",
    }
    assert case.bank.debits(case.method) == 1
    # The same request again: nothing left to collect, nothing sent.
    _refused(_retry(client, staff, case.contribution_id), "contribution_not_due")
    case.world.day(date(2024, 6, 26))  # the day's run plans nothing for the month
    assert case.bank.debits(case.method) == 1 and case.charges() == 2
    assert case.attempts()[-1] == (2, "manual", "succeeded", None, None)
    [(action, user_role)] = rows(case.world.engine, "SELECT action, role FROM audit_record WHERE action LIKE 'case.%'")
    assert (action, user_role) == ("case.retry", "finance")
    case.proved()


def test_a_form_submitted_twice_charges_once(client, staff, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    case.on(DAY + timedelta(days=1), monkeypatch)
    first = _retry(client, staff, case.contribution_id, expected_attempt_no=1)
    assert first.get_json()["attempt"]["status"] == "failed"
    _refused(_retry(client, staff, case.contribution_id, expected_attempt_no=1), "case_changed")
    assert case.charges() == 2  # the run's attempt and one retry
    assert [a[:3] for a in case.attempts()] == [(1, "scheduled", "failed"), (2, "manual", "failed")]
    case.proved()


def test_a_hard_failure_is_not_retried(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_account_closed")
    _refused(_retry(client, staff, case.contribution_id), "hard_failure")
    assert case.charges() == 1
    assert len(case.attempts()) == 1


def test_an_attempt_in_flight_is_not_retried(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_timeout_then_ok", "sent")  # charged, the answer lost: unknown until settled
    assert case.attempts() == [(1, "scheduled", "unknown", "gateway_error", None)]
    _refused(_retry(client, staff, case.contribution_id), "debit_in_flight")
    assert case.bank.debits(case.method) == 1 and len(case.attempts()) == 1
    case.world.day(DAY + timedelta(days=1))  # settled by asking the bank: it had taken the money
    assert case.attempts() == [(1, "scheduled", "succeeded", None, None)]
    assert case.bank.debits(case.method) == 1
    case.proved()


def test_a_planned_attempt_not_yet_sent_is_in_flight_too(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_ok", "planned")  # the 06:00 planning; no worker has sent it yet
    _refused(_retry(client, staff, case.contribution_id), "debit_in_flight")
    assert case.charges() == 0


def test_past_the_attempt_limit_is_refused(client, staff, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    for n in range(2, 5):  # insufficient_funds: 4 attempts in all
        case.on(DAY + timedelta(days=n), monkeypatch)
        assert _retry(client, staff, case.contribution_id).get_json()["attempt"]["attempt_no"] == n
    _refused(_retry(client, staff, case.contribution_id), "retry_limit_reached")
    assert case.charges() == 4


def test_a_suspended_mandate_is_not_debited(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    url = f"/api/v1/mandates/{case.mandate_id}/suspend"
    assert client.post(url, json={}, headers=staff["finance"]).status_code == 200
    _refused(_retry(client, staff, case.contribution_id), "mandate_not_active")
    assert case.charges() == 1


def test_a_month_before_its_debit_day_is_refused(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    later = make_case("sim_ok", "generated", debit_day=10)
    _refused(_retry(client, staff, later.contribution_id), "debit_not_yet_due")
    assert later.charges() == 0


def test_a_paid_month_is_refused(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    paid = make_case("sim_ok")
    _refused(_retry(client, staff, paid.contribution_id), "contribution_not_due")
    assert paid.charges() == 1


def test_a_retry_a_worker_claims_first_is_sent_by_the_worker_once(client, staff, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_until_payday_25")
    case.on(date(2024, 6, 26), monkeypatch)
    monkeypatch.setattr("billing.casework.sending.send_planned", lambda batch, gateway: None)  # no send by the request
    resp = _retry(client, staff, case.contribution_id)
    assert resp.get_json()["attempt"]["status"] == "pending"
    _refused(_retry(client, staff, case.contribution_id), "debit_in_flight")
    world = case.world
    lease = timedelta(seconds=world.settings.lease_seconds)
    assert work(world.engine, world.gateway, retry_policy(world.settings), lease, clock=world.clock) == 1
    assert case.bank.debits(case.method) == 1
    assert case.attempts()[-1] == (2, "manual", "succeeded", None, None)
    case.proved()


@pytest.mark.parametrize("role", ["manager"])
def test_only_finance_and_admin_retry(client, staff, make_case, role: str) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    resp = client.post(f"/api/v1/contributions/{case.contribution_id}/retry", json=REASON, headers=staff[role])
    assert resp.status_code == 403
    assert case.charges() == 1


def test_two_retries_at_once_plan_one_attempt(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    finance = staff_user(app, Role.finance, "ani")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def retry() -> None:
        with app.app_context():
            start.wait()
            try:
                with db.unit_of_work(case.world.engine) as session:
                    actor = session.get(ApiUser, finance)
                    outcomes.append(actions.retry(session, case.contribution_id, actor, "dua klik", today=DAY).status)
            except BillingError as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["debit_in_flight", "planned"]
    world = case.world
    lease = timedelta(seconds=world.settings.lease_seconds)
    work(world.engine, world.gateway, retry_policy(world.settings), lease, clock=world.clock)
    assert case.charges() == 2  # the run's attempt and one retry
    assert [a[:3] for a in case.attempts()] == [(1, "scheduled", "failed"), (2, "manual", "failed")]
