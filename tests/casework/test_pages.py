"""The case page and its forms with Flask's test client: a finance officer signed in with a cookie
(CSRF-checked) retries, records a payment, asks for a waiver that a second officer approves; a form
without its CSRF token, a form posted twice and a manager are refused, nothing reaching the bank."""

from datetime import date
from typing import Any

import pytest

from billing.auth.models import Role
from billing.settings import Settings
from tests.debits.world import rows
from tests.factories import staff as staff_user
from tests.web.browser_session import csrf_token, sign_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"waiver_approval_above": 10_000})


def _signed_in(app: Any, role: Role, login: str) -> Any:
    staff_user(app, role, login)
    client = app.test_client()
    assert sign_in(client, login).status_code == 302
    return client


def _post(client: Any, cid: int, form_name: str, **form: Any) -> Any:
    token = csrf_token(client, f"/staff/cases/{cid}")
    return client.post(f"/staff/cases/{cid}/{form_name}", data={"csrf_token": token, **form})


def _audit(case: Any) -> list[tuple[Any, ...]]:
    return rows(
        case.world.engine, "SELECT action, role, reason FROM audit_record WHERE action LIKE 'case.%' ORDER BY id"
    )


def test_the_case_page_shows_the_failed_debit(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    finance = _signed_in(app, Role.finance, "ani")
    page = finance.get(f"/staff/cases/{case.contribution_id}").get_data(as_text=True)
    for expected in (
        "Siti Aminah",
        "saldo tidak cukup / insufficient funds",
        f"ct{case.contribution_id}-1",
        "sim_insufficient_funds",
        "BRI ••••1234",
        "2024-08-31",  # pay by
        "2024-09-17",  # the evaluation would end it on September's due date (Sunday 15th, Maulid on the 16th)
        "debit_failed",  # the notice sent
        "Rp16.800",
    ):
        assert expected in page, expected
    assert "1971" + "01" not in page  # no NIK in clear
    [(attempt_id,)] = rows(case.world.engine, "SELECT id FROM debit_attempt")
    asked = finance.get(f"/staff/cases/{case.contribution_id}?ask={attempt_id}").get_data(as_text=True)
    assert (
        "the gateway says now" in asked and "<code>4035414</code> · Insufficient Funds" in asked
    )  # the bank's own answer


def test_a_manager_and_a_stranger_are_refused(app, client, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    manager = _signed_in(app, Role.manager, "budi")
    assert manager.get(f"/staff/cases/{case.contribution_id}").status_code == 403
    assert manager.get("/staff/approvals").status_code == 403
    anonymous = client.get(f"/staff/cases/{case.contribution_id}")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]


def test_retry_from_the_form_once_even_if_posted_twice(app, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_until_payday_25")
    case.on(date(2024, 6, 26), monkeypatch)
    finance = _signed_in(app, Role.finance, "ani")
    cid = case.contribution_id
    no_csrf = finance.post(f"/staff/cases/{cid}/retry", data={"reason": "sudah gajian", "expected_attempt_no": "1"})
    assert no_csrf.status_code == 403 and "Token CSRF" in no_csrf.get_data(as_text=True)
    assert case.charges() == 1
    form = {"reason": "sudah gajian", "expected_attempt_no": "1"}
    done = _post(finance, cid, "retry", **form)
    assert done.status_code == 302
    assert "Percobaan ke-2: succeeded" in finance.get(done.headers["Location"]).get_data(as_text=True)
    twice = _post(finance, cid, "retry", **form)
    assert twice.status_code == 409 and "contribution_not_due" in twice.get_data(as_text=True)
    assert case.bank.debits(case.method) == 1 and case.charges() == 2
    assert _audit(case) == [("case.retry", "finance", "sudah gajian")]
    case.proved()


def test_a_stale_retry_form_is_refused(app, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    finance = _signed_in(app, Role.finance, "ani")
    cid = case.contribution_id
    assert _post(finance, cid, "retry", reason="coba lagi", expected_attempt_no="1").status_code == 302
    stale = _post(finance, cid, "retry", reason="coba lagi", expected_attempt_no="1")
    assert stale.status_code == 409 and "case_changed" in stale.get_data(as_text=True)
    assert case.charges() == 2


def test_payment_note_reminder_and_mandate_forms(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    finance = _signed_in(app, Role.finance, "ani")
    cid = case.contribution_id
    assert _post(finance, cid, "notes", body="Janji bayar tunai").status_code == 302
    assert _post(finance, cid, "reminder", reason="belum bayar").status_code == 302
    assert _post(finance, cid, "mandate", action="suspend", reason="peserta minta jeda").status_code == 302
    bad = _post(
        finance,
        cid,
        "payment",
        receipt_number="AGEN-1",
        channel="agent",
        amount="100",
        paid_on="2024-06-05",
        reason="tunai",
    )
    assert bad.status_code == 422 and "amount_mismatch" in bad.get_data(as_text=True)
    paid = _post(
        finance,
        cid,
        "payment",
        receipt_number="AGEN-1",
        channel="agent",
        amount="16800",
        paid_on="2024-06-05",
        reason="tunai",
    )
    assert paid.status_code == 302
    page = finance.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Pembayaran AGEN-1 dicatat" in page and "Janji bayar tunai" in page
    assert [a[0] for a in _audit(case)] == [
        "case.note",
        "case.reminder",
        "case.mandate_suspended",
        "case.offline_payment",
    ]
    assert rows(case.world.engine, "SELECT channel FROM audit_record WHERE action LIKE 'case.%'") == [("web",)] * 4


def test_a_waiver_from_the_page_is_approved_by_another_officer(app, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case("sim_insufficient_funds")
    maker = _signed_in(app, Role.finance, "ani")
    checker = _signed_in(app, Role.finance, "citra")
    cid = case.contribution_id
    assert _post(maker, cid, "waive", reason="banjir").status_code == 302
    [(request_id,)] = rows(case.world.engine, "SELECT id FROM waiver_request")
    listing = maker.get("/staff/approvals").get_data(as_text=True)
    assert "Permintaan Anda sendiri" in listing
    token = csrf_token(maker, "/staff/approvals")
    own = maker.post(f"/staff/approvals/{request_id}/approve", data={"csrf_token": token, "reason": "saya setuju"})
    assert own.status_code == 403 and "maker_cannot_decide" in own.get_data(as_text=True)
    token = csrf_token(checker, "/staff/approvals")
    approved = checker.post(f"/staff/approvals/{request_id}/approve", data={"csrf_token": token, "reason": "bukti ada"})
    assert approved.status_code == 302
    assert rows(case.world.engine, "SELECT status FROM contribution WHERE id = :c", c=cid) == [("waived",)]
    assert [a[0] for a in _audit(case)] == ["case.waiver_requested", "case.waiver_approved"]
