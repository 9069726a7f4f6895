"""A Perisai agent on a phone in a real browser (headless Debian Chromium, 360×740, SQLite, a sandbox clock
on 4 May 2026): signs in, enrols a worker who confirms with the code sent to their own phone (read from
the development sender), records the worker's cash for two months with a double tap (one receipt), and
opens the commission statement. No page scrolls sideways, none reports an error; the books prove.
Screenshots land in test-artifacts/agent/ (the README's are copied from there into docs/agent/)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from billing.ledger.verify import verify
from tests.agents.builders import DAY, PASSWORD, agent
from tests.reports.browser import browser
from tests.web.live import PHONE, fill_enrolment, phone_shot, sandbox, watch
from tests.web.worker import sender

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "agent"


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    with sandbox(sqlite_url, DAY) as served:
        yield served


def _shot(page: Any, name: str) -> None:
    phone_shot(page, ARTIFACTS / name)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_an_agent_on_a_phone_enrols_collects_and_reads_the_commission(server: tuple[str, Any]) -> None:
    base, app = server
    engine = app.extensions["billing.engine"]
    agent(engine, "budi")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        phone = chromium.new_context(viewport=PHONE, is_mobile=True)
        page = phone.new_page()
        problems = watch(page)
        page.goto(f"{base}/agen/")
        page.wait_for_url("**/agen/masuk?next=**")
        page.fill("#login", "budi")
        page.fill("#password", PASSWORD)
        _shot(page, "01-sign-in.png")
        page.click("form[action='/agen/masuk'] button[type=submit]")
        page.wait_for_url(f"{base}/agen/")

        page.click("nav.tabs a[href='/agen/daftar']")
        fill_enrolment(page)
        page.wait_for_function("document.getElementById('quote').textContent.includes('Rp 8.400')")
        _shot(page, "02-enrol.png")
        page.click("form#enrol button[type=submit]")
        page.wait_for_url("**/agen/daftar/konfirmasi")
        assert "Perempuan" in page.inner_text("main")  # read from the NIK (day 55 = 15 + 40)
        page.fill("#code", sender(app).last_code("+6281234567890") or "")
        _shot(page, "03-worker-confirms.png")
        page.click("form[action='/agen/daftar/konfirmasi'] button[type=submit]")
        page.wait_for_url("**/agen/pekerja/*?welcome=1")
        assert "Pekerja sudah terdaftar" in page.inner_text("main")

        page.select_option("#months", "2")
        _shot(page, "04-take-cash.png")
        page.dblclick("form[data-once] button[type=submit]")
        page.wait_for_url("**/agen/tunai/*")
        receipt = page.inner_text("main")
        assert "Uang tunai tercatat" in receipt and "PRS-1-00001" in receipt
        assert page.inner_text("#amount") == "Rp 16.800" and page.inner_text("#months") == "Mei 2026, Juni 2026"
        _shot(page, "05-receipt.png")
        assert _count(engine, "SELECT COUNT(*) FROM receipt") == 1  # the double tap recorded once
        assert _count(engine, "SELECT COUNT(*) FROM notice WHERE kind = 'cash_received'") == 1

        page.click("nav.tabs a[href='/agen/komisi']")
        assert page.inner_text("#commission") == "Rp 1.260" and "PRS-1-00001" in page.inner_text("#lines")
        _shot(page, "06-commission.png")
        page.click("a.lang")
        assert "Commission May 2026" in page.inner_text("main")
        _shot(page, "07-commission-english.png")
        page.goto(f"{base}/agen/")
        assert page.inner_text("#cash-held") == "Rp 16,800"
        _shot(page, "08-home.png")
        assert problems == [], problems
        phone.close()
    with engine.connect() as conn:
        checked = verify(conn)
    assert checked.ok, checked.problems
