"""The workers' pages in a real browser (headless Debian Chromium, a phone 360×740, SQLite, a sandbox
clock on 4 May 2026): a worker enrols with the code read from the development sender, authorises the
auto-debit at the simulated bank, the next debit run charges it and the status page shows the cover;
they sign in again by code and pay two months ahead with a double tap (one charge at the bank, also
when two requests race); another worker pays their arrears. No page scrolls sideways, none reports a
policy violation. Screenshots land in test-artifacts/worker/."""

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine

from billing.db import unit_of_work
from billing.debits.execution import DayClock
from billing.debits.service import run_debits
from billing.ledger.verify import verify
from billing.participants import service as participants
from billing.participants.schemas import ParticipantCreate
from schedulers import jobs
from tests.factories import nik, participant_body
from tests.reports.browser import browser
from tests.web.live import PHONE, fill_enrolment, phone_shot, sandbox
from tests.web.worker import DAY, bank, sender, set_day

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "worker"


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    with sandbox(sqlite_url, DAY) as served:
        yield served


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    return problems


def _shot(page: Any, name: str) -> None:
    phone_shot(page, ARTIFACTS / name)


def _bank_confirms(page: Any, account: str, shot: str | None = None) -> None:
    page.wait_for_url("**/simulator/bank/setup/**")
    if shot:
        _shot(page, shot)
    page.select_option("#account", account)
    page.fill("#code", page.inner_text("#bank-otp"))
    page.click("button[value=approve]")


def _authorise(page: Any, base: str, day: int, shot: str | None = None) -> None:
    page.goto(f"{base}/saya/autodebet")
    page.check("input[name=channel][value=bank]")
    page.select_option("select[name=provider_bank]", "BRI")
    page.select_option("#debit_day", str(day))
    page.check("input[name=agree]")
    if shot:
        _shot(page, shot)
    page.click("form[action='/saya/autodebet'] button[type=submit]")


def _sign_in(page: Any, base: str, app: Any, who: str, phone: str, shot: str | None = None) -> None:
    page.goto(f"{base}/saya/masuk")
    page.fill("#id", who)
    if shot:
        _shot(page, shot)
    page.click("form[action='/saya/masuk'] button[type=submit]")
    page.wait_for_url("**/saya/masuk/kode**")
    page.fill("#code", sender(app).last_code(phone) or "")
    page.click("form[action='/saya/masuk/kode'] button[type=submit]")
    page.wait_for_url(f"{base}/saya/status")


def _next_day_jobs(app: Any, engine: Engine) -> None:
    settings = app.extensions["billing.settings"]
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    tomorrow = DAY + timedelta(days=1)
    set_day(engine, tomorrow)
    run_debits(engine, settings, bank(app), DayClock(tomorrow), tomorrow)


def test_a_worker_on_a_phone_from_nothing_to_covered(server: tuple[str, Any]) -> None:
    base, app = server
    engine = app.extensions["billing.engine"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        phone = chromium.new_context(viewport=PHONE, is_mobile=True)
        page = phone.new_page()
        problems = _watch(page)
        page.goto(f"{base}/saya/daftar")
        fill_enrolment(page)
        expect(page.locator("#quote")).to_contain_text("Iuran Anda Rp 8.400/bulan")
        _shot(page, "01-enrol.png")
        page.check("#jht")  # the live quote follows: JHT is 2% of the declared income, not discounted
        expect(page.locator("#quote")).to_contain_text("Iuran Anda Rp 28.400/bulan")
        page.uncheck("#jht")
        page.click("form#enrol button[type=submit]")
        page.wait_for_url("**/saya/daftar/konfirmasi")
        assert "Perempuan" in page.inner_text("main")  # 55 = day 15 + 40: a woman, read from the NIK
        _shot(page, "02-enrol-confirm.png")
        page.fill("#code", sender(app).last_code("+6281234567890") or "")
        page.click("form[action='/saya/daftar/konfirmasi'] button[type=submit]")
        page.wait_for_url("**/saya/autodebet?welcome=1")
        _authorise(page, base, 5, shot="03-consent.png")
        _bank_confirms(page, "sim_ok", shot="04-bank.png")
        page.wait_for_url(f"{base}/saya/status")
        assert "Autodebet aktif" in page.inner_text("main")
        _shot(page, "05-status-bound.png")

        _next_day_jobs(app, engine)
        assert bank(app).bank.debits("sim_ok") == 1
        page.reload()
        assert "Anda terlindungi sampai 31 Mei 2026" in page.inner_text("#covered")
        _shot(page, "06-status-covered.png")
        page.click("a.lang")
        assert "You are covered until May 31, 2026" in page.inner_text("#covered")
        _shot(page, "07-status-english.png")
        page.click("a.lang")

        page.click("form[action='/saya/keluar'] button")
        page.wait_for_url("**/saya/masuk?bye=1")
        _sign_in(page, base, app, "0812-3456-7890", "+6281234567890", shot="08-sign-in.png")

        page.goto(f"{base}/saya/bayar")
        page.check("input[name=what][value=months]")
        page.select_option("select[name=months]", "2")
        _shot(page, "09-pay.png")
        page.dblclick("form[action='/saya/bayar'] button[type=submit]")
        page.wait_for_url("**/saya/bayar/*")
        assert "Pembayaran berhasil" in page.inner_text("main") and "Rp 16.800" in page.inner_text("#amount")
        _shot(page, "10-paid.png")
        assert bank(app).bank.debits("sim_ok") == 2  # the debit run's, and one for the double tap

        # Two requests of one form racing (two taps the browser let through): one charge at the bank.
        page.goto(f"{base}/saya/bayar")
        form = {
            "csrf_token": page.input_value("form[action='/saya/bayar'] input[name=csrf_token]"),
            "nonce": page.input_value("input[name=nonce]"),
            "what": "months",
            "months": "1",
        }
        cookies = {c["name"]: c["value"] for c in phone.cookies()}
        answers: list[int] = []

        def tap() -> None:
            with httpx.Client(base_url=base, cookies=cookies) as http:
                answers.append(http.post("/saya/bayar", data=form).status_code)

        taps = [threading.Thread(target=tap) for _ in range(2)]
        for t in taps:
            t.start()
        for t in taps:
            t.join()
        assert answers == [302, 302] and bank(app).bank.debits("sim_ok") == 3
        page.goto(f"{base}/saya/status")
        assert "Anda terlindungi sampai 31 Agustus 2026" in page.inner_text("#covered")
        page.click("table.history a")
        page.wait_for_url("**/saya/kuitansi/*")
        _shot(page, "11-receipt.png")
        assert problems == [], problems
        phone.close()
    with engine.connect() as conn:
        checked = verify(conn, bank(app))
    assert checked.ok, checked.problems


def test_arrears_paid_on_a_phone(server: tuple[str, Any]) -> None:
    base, app = server
    engine = app.extensions["billing.engine"]
    settings = app.extensions["billing.settings"]
    number = nik()
    with unit_of_work(engine) as s:
        body = ParticipantCreate(**participant_body(nik=number, phone="0813-2222-3333"))
        participants.enrol(s, body, date(2026, 3, 2))
    for day in (date(2026, 3, 2), date(2026, 4, 1), date(2026, 5, 1)):
        jobs.generate_contributions(jobs.JobContext(settings, engine), day)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        phone = chromium.new_context(viewport=PHONE, is_mobile=True)
        page = phone.new_page()
        problems = _watch(page)
        _sign_in(page, base, app, number, "+6281322223333")
        _authorise(page, base, 10)
        _bank_confirms(page, "sim_ok")
        page.wait_for_url(f"{base}/saya/status")
        assert "Tunggakan: Rp 25.200" in page.inner_text("#arrears")
        _shot(page, "12-arrears.png")
        page.click("#arrears a.button")
        page.check("input[name=what][value=arrears]")
        page.click("form[action='/saya/bayar'] button[type=submit]")
        page.wait_for_url("**/saya/bayar/*")
        assert "Pembayaran berhasil" in page.inner_text("main")
        _shot(page, "13-arrears-paid.png")
        assert bank(app).bank.total_debited() == 25_200 and bank(app).bank.debits("sim_ok") == 1
        page.goto(f"{base}/saya/status")
        assert "Terlindungi sampai 30 April 2026" in page.inner_text("#covered")
        assert problems == [], problems
        phone.close()
