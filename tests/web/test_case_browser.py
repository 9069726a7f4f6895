"""Casework in a real browser (headless Chromium, SQLite, a sandbox clock): a finance officer signs in,
opens a failed debit's case, retries it (the bank says no again), records the agent's cash receipt,
and finds both in the audit log; a form posted without its CSRF token and a manager opening the case
are refused. Screenshots land in test-artifacts/staff/."""

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from werkzeug.serving import make_server

from billing import create_app
from billing.auth.models import Role
from billing.settings import Settings
from billing.simulation.clock import save
from tests.debits.world import World, enrol, rows
from tests.factories import staff
from tests.reports.browser import browser
from tests.web.live import ARTIFACTS, watch
from tests.web.live import sign_in_at as _sign_in

DAY = date(2024, 6, 5)
METHOD = "sim_insufficient_until_payday_25"


@pytest.fixture
def live(sqlite_url: str) -> Iterator[tuple[str, Any, World, int]]:
    """The app served on 127.0.0.1 on June 6th (a sandbox clock), its bank the test's, and one June
    contribution whose debit failed the day before."""
    settings = Settings(database_url=sqlite_url, log_json=False, log_level="WARNING", sandbox=True)
    app = create_app(settings)
    engine = app.extensions["billing.engine"]
    pid = enrol(engine, date(2024, 6, 1), METHOD)
    world = World.create(engine, settings, DAY)
    world.day(DAY)
    save(engine, "casework", 1, DAY, DAY + timedelta(days=1))
    world.clock.today = DAY + timedelta(days=1)
    app.extensions["billing.gateways"] = {"simulator": world.gateway}
    [(cid,)] = rows(
        engine, "SELECT id FROM contribution WHERE participant_id = :p AND period = :m", p=pid, m=DAY.replace(day=1)
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app, world, cid
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        engine.dispose()


def _submit(page: Any, form: str, **fields: str) -> None:
    for name, value in fields.items():
        page.fill(f"{form} [name={name}]", value)
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_finance_retries_records_a_payment_and_finds_both_in_the_audit_log(live) -> None:  # type: ignore[no-untyped-def]
    base, app, world, cid = live
    staff(app, Role.finance, username="ani")
    staff(app, Role.manager, username="budi")
    bank = world.gateway.bank  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        laptop = chromium.new_context(viewport={"width": 1366, "height": 900})
        page = laptop.new_page()
        problems = watch(page)
        _sign_in(page, base, "ani")
        page.fill("#case-id", str(cid))
        with page.expect_navigation():
            page.click("form[action='/staff/cases'] button[type=submit]")
        assert page.url == f"{base}/staff/cases/{cid}"
        assert "saldo tidak cukup" in page.inner_text("#attempts + .scroll")
        page.screenshot(path=str(ARTIFACTS / "case-before-laptop.png"), full_page=True)

        _submit(page, "#retry-form", reason="Peserta bilang saldo sudah diisi")
        assert page.url == f"{base}/staff/cases/{cid}"
        assert "Percobaan ke-2: failed" in page.inner_text("main")
        assert bank.debits(METHOD) == 0 and len(bank.charges()) == 2
        page.screenshot(path=str(ARTIFACTS / "case-after-retry-laptop.png"), full_page=True)

        _submit(page, "#payment-form", receipt_number="AGEN-0601", reason="Tunai lewat agen Perisai")
        assert "Pembayaran AGEN-0601 dicatat" in page.inner_text("main")
        assert "paid" in page.inner_text("h1")
        page.screenshot(path=str(ARTIFACTS / "case-after-payment-laptop.png"), full_page=True)

        page.goto(f"{base}/staff/audit?action=case.")
        log = page.inner_text("table.audit")
        assert "case.retry" in log and "case.offline_payment" in log
        assert "Peserta bilang saldo sudah diisi" in log and "Tunai lewat agen Perisai" in log
        page.screenshot(path=str(ARTIFACTS / "audit-case-actions-laptop.png"), full_page=True)
        assert problems == [], problems

        # The signed-in cookie alone, without the form's token: refused, nothing sent.
        forged = page.request.post(f"{base}/staff/cases/{cid}/retry", form={"reason": "tanpa token"})
        assert forged.status == 403 and "csrf" in forged.text().lower()
        assert len(bank.charges()) == 2
        laptop.close()

        phone = chromium.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        _sign_in(page, base, "budi")
        refused = page.goto(f"{base}/staff/cases/{cid}")
        assert refused is not None and refused.status == 403
        assert "Akses ditolak" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "case-refused-manager-phone.png"), full_page=True)
        phone.close()
    actions = rows(
        world.engine, "SELECT action, role, channel FROM audit_record WHERE action LIKE 'case.%' ORDER BY id"
    )
    assert actions == [("case.retry", "finance", "web"), ("case.offline_payment", "finance", "web")]


def test_the_case_page_fits_a_phone(live) -> None:  # type: ignore[no-untyped-def]
    base, app, _world, cid = live
    staff(app, Role.finance, username="ani")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        phone = chromium.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        problems = watch(page)
        _sign_in(page, base, "ani")
        page.goto(f"{base}/staff/cases/{cid}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # tables scroll inside their box
        page.screenshot(path=str(ARTIFACTS / "case-finance-phone.png"), full_page=True)
        assert problems == [], problems
        phone.close()
