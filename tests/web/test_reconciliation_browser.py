"""Reconciliation in a real browser (headless Chromium, SQLite): after a debit day on the simulated bank,
a finance officer uploads the bank's settlement file with an extra line, a missing charge and another
amount, sees exactly those three items, resolves one with a reason and finds that in the audit log.
Screenshots land in test-artifacts/staff/."""

from pathlib import Path
from typing import Any

from billing.auth.models import Role
from tests.factories import staff
from tests.reconciliation.conftest import debit_day
from tests.reconciliation.files import BANK_HEADER, charges, csv_bytes
from tests.reports.browser import browser
from tests.web.live import ARTIFACTS, watch
from tests.web.live import sign_in_at as _sign_in


def test_finance_reconciles_a_settlement_file_in_chromium(server: tuple[str, Any], tmp_path: Path) -> None:
    base, app = server
    staff(app, Role.finance, username="ani")
    world = debit_day(app.extensions["billing.engine"], app.extensions["billing.settings"])
    first, second, third = charges(world)
    settlement = tmp_path / "mutasi-bank-2024-06-05.csv"
    settlement.write_bytes(
        csv_bytes(
            BANK_HEADER,
            [
                [first.reference, first.amount - 800, "2024-06-05", "settled"],  # another amount
                [third.reference, third.amount, "2024-06-05", "settled"],  # matched
                ["sim_ch_bukan-kita", 16_800, "2024-06-05", "settled"],  # not ours
            ],  # the second charge is missing
        )
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        laptop = chromium.new_context(viewport={"width": 1366, "height": 900})
        page = laptop.new_page()
        problems = watch(page)
        _sign_in(page, base, "ani")
        page.click("a[href='/staff/reconciliation']")
        page.wait_for_url(f"{base}/staff/reconciliation")
        page.click("a[href='/staff/reconciliation/upload']")
        page.set_input_files("#file", str(settlement))
        page.screenshot(path=str(ARTIFACTS / "reconciliation-upload-laptop.png"), full_page=True)
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
        page.wait_for_url("**/staff/reconciliation?**uploaded=new**")
        summary = page.inner_text("section.recon-summary")
        assert "mutasi-bank-2024-06-05.csv" in summary
        table = page.locator("table.recon tbody tr")
        assert table.count() == 3
        listed = page.inner_text("table.recon")
        for reference in (first.reference, second.reference, "sim_ch_bukan-kita"):
            assert reference in listed
        assert "Jumlah berbeda" in listed and "Di buku, tidak di berkas" in listed
        page.screenshot(path=str(ARTIFACTS / "reconciliation-items-laptop.png"), full_page=True)

        row = page.locator("tr", has_text="sim_ch_bukan-kita")
        row.locator("input[name=reason]").fill("Dana milik program lain, dikembalikan bank")
        row.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "Selesai" in page.inner_text("tr:has-text('sim_ch_bukan-kita')")
        page.goto(f"{base}/staff/reconciliation")  # open items only: two left
        assert page.locator("table.recon tbody tr").count() == 2

        page.goto(f"{base}/staff/audit?action=reconciliation.")
        log = page.inner_text("table.audit")
        assert "reconciliation.resolve" in log and "Dana milik program lain" in log
        assert "reconciliation.import" in log
        page.screenshot(path=str(ARTIFACTS / "reconciliation-audit-laptop.png"), full_page=True)
        assert problems == [], problems
        laptop.close()

        phone = chromium.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        _sign_in(page, base, "ani")
        page.goto(f"{base}/staff/reconciliation?resolved=all")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
        page.screenshot(path=str(ARTIFACTS / "reconciliation-phone.png"), full_page=True)
        phone.close()
