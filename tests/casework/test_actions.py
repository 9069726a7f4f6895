"""The other case actions, each through the service that owns what it changes and each in the audit
trail: an offline payment, a mandate suspended and resumed, a reminder, a note; a planned debit is
never sent after the action that settles or stops it (counted at the bank)."""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from billing import db
from billing.auth.models import ApiUser, Role
from billing.casework import actions
from billing.debits.execution import work
from billing.debits.policy import from_settings as retry_policy
from billing.errors import BillingError
from billing.notices.texts import render
from tests.casework.world import DAY, Case
from tests.debits.world import rows
from tests.factories import staff as staff_user


def _act(app: Any, case: Case, fn: Any, user_id: int, reason: str = "telepon peserta", **params: Any) -> Any:
    """Call an action as the request would: its session, committed after."""
    with app.test_request_context(), db.unit_of_work(case.world.engine) as session:
        actor = session.get(ApiUser, user_id)
        return fn(session, case.contribution_id, actor, reason, today=DAY, **params)


def _send(case: Case) -> None:
    world = case.world
    lease = timedelta(seconds=world.settings.lease_seconds)
    work(world.engine, world.gateway, retry_policy(world.settings), lease, clock=world.clock)


def _audit(case: Case) -> list[tuple[Any, ...]]:
    return rows(
        case.world.engine,
        "SELECT action, user_id, role, target_type, target_id, reason FROM audit_record"
        " WHERE action LIKE 'case.%' ORDER BY id",
    )


def test_an_offline_payment_settles_the_month_and_its_planned_debit_is_never_sent(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_ok", "planned")
    finance = staff_user(app, Role.finance, "ani")
    paid = _act(
        app,
        case,
        actions.record_offline_payment,
        finance,
        "bayar tunai ke agen",
        receipt_number="AGEN-77",
        channel="agent",
        amount=16_800,
        paid_on=DAY,
    )
    assert (paid.status, paid.detail["receipt_number"]) == ("recorded", "AGEN-77")
    _send(case)
    assert case.charges() == 0
    assert case.attempts() == [(1, "scheduled", "cancelled", None, "contribution_settled")]
    assert _audit(case) == [
        ("case.offline_payment", finance, "finance", "contribution", str(case.contribution_id), "bayar tunai ke agen")
    ]
    case.proved()


def test_an_offline_payment_is_refused_whole_for_a_used_receipt_or_a_wrong_amount(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    finance = staff_user(app, Role.finance, "ani")
    receipt = {"receipt_number": "CAB-1", "channel": "branch", "paid_on": DAY}
    with pytest.raises(BillingError) as wrong:
        _act(app, case, actions.record_offline_payment, finance, amount=16_000, **receipt)
    assert wrong.value.code == "amount_mismatch"
    with pytest.raises(BillingError) as history:
        _act(app, case, actions.record_offline_payment, finance, amount=16_800, **{**receipt, "channel": "history"})
    assert history.value.code == "invalid_input"
    with pytest.raises(BillingError) as short:
        _act(app, case, actions.record_offline_payment, finance, "", amount=16_800, **receipt)
    assert short.value.code == "invalid_reason"
    assert _audit(case) == []
    assert rows(case.world.engine, "SELECT status FROM contribution WHERE id = :c", c=case.contribution_id) == [
        ("due",)
    ]


def test_suspend_stops_the_planned_debit_and_resume_bills_again(app, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_ok", "planned")
    finance = staff_user(app, Role.finance, "ani")
    assert _act(app, case, actions.suspend_mandate, finance, "peserta minta jeda").status == "suspended"
    _send(case)
    assert case.charges() == 0
    with pytest.raises(BillingError) as again:
        _act(app, case, actions.suspend_mandate, finance, "dua kali")
    assert again.value.code == "invalid_mandate_transition"
    assert _act(app, case, actions.resume_mandate, finance, "peserta siap").status == "active"
    case.on(DAY + timedelta(days=1), monkeypatch)
    case.world.day(DAY + timedelta(days=1))
    assert case.bank.debits("sim_ok") == 1
    assert [a[0] for a in _audit(case)] == ["case.mandate_suspended", "case.mandate_resumed"]
    events = rows(case.world.engine, "SELECT to_status, reason, actor FROM mandate_event ORDER BY id")
    assert events[-2:] == [("suspended", "peserta minta jeda", str(finance)), ("active", "peserta siap", str(finance))]
    case.proved()


def test_a_reminder_is_queued_once_a_day(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    url = f"/api/v1/contributions/{case.contribution_id}/reminders"
    resp = client.post(url, json={"reason": "belum bayar"}, headers=staff["finance"])
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["status"] == "queued"
    [(kind, params)] = rows(case.world.engine, "SELECT kind, params FROM notice WHERE kind = 'payment_reminder'")
    params = params if isinstance(params, dict) else __import__("json").loads(params)
    assert params == {"period": "2024-06-01", "amount": 16_800, "account": "BRI ••••1234", "pay_by": "2024-08-31"}
    assert render(kind, params).startswith("Pengingat: iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800")
    again = client.post(url, json={"reason": "belum bayar"}, headers=staff["finance"])
    assert (again.status_code, again.get_json()["code"]) == (409, "reminder_already_sent")
    assert [a[0] for a in _audit(case)] == ["case.reminder"]


def test_notes_are_kept_and_listed(client, staff, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    url = f"/api/v1/contributions/{case.contribution_id}/notes"
    made = client.post(url, json={"body": "Janji bayar Jumat"}, headers=staff["finance"])
    assert made.status_code == 201, made.get_json()
    assert client.post(url, json={"body": "x"}, headers=staff["finance"]).status_code == 422
    listed = client.get(url, headers=staff["admin"]).get_json()["items"]
    assert [n["body"] for n in listed] == ["Janji bayar Jumat"]
    assert client.get(url, headers=staff["manager"]).status_code == 403
    assert [(a[0], a[5]) for a in _audit(case)] == [("case.note", "Janji bayar Jumat")]


def test_an_action_on_a_missing_contribution_is_404_and_a_manager_is_refused(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds", "generated")
    manager = staff_user(app, Role.manager, "budi")
    with pytest.raises(BillingError) as refused:
        _act(app, case, actions.add_note, manager, "catatan manajer")
    assert refused.value.code == "role_not_allowed"
    finance = staff_user(app, Role.finance, "ani")
    with app.test_request_context(), Session(case.world.engine) as session:
        actor = session.get(ApiUser, finance)
        with pytest.raises(BillingError) as missing:
            actions.add_note(session, 999_999, actor, "tidak ada")  # type: ignore[arg-type]
    assert missing.value.code == "contribution_not_found"
