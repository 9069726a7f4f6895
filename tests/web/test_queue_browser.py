"""The failed-debit queue in a real browser (headless Chromium, SQLite): a finance officer opens it from
the home page, filters it, bulk-assigns the filtered months after a preview, finds that in the audit log,
and exports the CSV; on a phone the page does not scroll sideways. Screenshots land in
test-artifacts/staff/."""

import csv
import io
from pathlib import Path

from billing.auth.models import Role
from tests.factories import staff
from tests.failed_debits.builders import Attempt, Month, build_all
from tests.reports.browser import browser
from tests.web.live import ARTIFACTS, watch
from tests.web.live import sign_in_at as _sign_in

MONTHS = [
    Month("Siti Aminah"),
    Month("Rahmat Hidayat", display="Mandiri ••••7788", amount=36_800),
    Month("Yusuf Kalla", region="15.71", attempts=[Attempt(code="account_closed")], next_retry=None, stopped="x"),
    Month("Wulan Sari", region="15.71", channel="ewallet", display="DANA ••••0042"),
]


def test_finance_filters_bulk_assigns_and_exports_the_queue(server) -> None:  # type: ignore[no-untyped-def]
    base, app = server
    build_all(app.extensions["billing.engine"], MONTHS)
    staff(app, Role.finance, username="ani")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        laptop = chromium.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        page = laptop.new_page()
        problems = watch(page)
        _sign_in(page, base, "ani")
        page.click("a[href='/staff/queue']")
        page.wait_for_url(f"{base}/staff/queue")
        assert "Rp 87.200" in page.inner_text("#totals")
        page.screenshot(path=str(ARTIFACTS / "queue-finance-laptop.png"), full_page=True)

        page.fill("input[name=region]", "19.71")
        page.click("form.queue-filters button[type=submit]")
        page.wait_for_url("**/staff/queue?*region=19.71*")
        table = page.inner_text("table.queue")
        assert "Siti Aminah" in table and "Mandiri ••••7788" in table and "Yusuf Kalla" not in table
        assert "2 bulan" in page.inner_text("#totals").replace("\n", " ")

        page.select_option("form.bulk select[name=action]", "assign")
        page.click("form.bulk button[type=submit]")
        page.wait_for_url("**/staff/queue/bulk?*")
        assert "Rp 53.600" in page.inner_text("#preview")
        page.screenshot(path=str(ARTIFACTS / "queue-bulk-preview-laptop.png"), full_page=True)
        page.fill("textarea[name=reason]", "Bagi tugas: Pangkal Pinang")
        page.click("form[action='/staff/queue/bulk'] button[type=submit]")
        page.wait_for_selector("#result")
        assert "2 selesai" in page.inner_text("#result").replace("\n", " ")
        page.screenshot(path=str(ARTIFACTS / "queue-bulk-done-laptop.png"), full_page=True)

        page.click("text=Kembali ke antrean")
        page.wait_for_url("**/staff/queue?*region=19.71*")
        assert page.inner_text("table.queue").count("Staf finance") == 2

        page.goto(f"{base}/staff/audit?action=case.")
        log = page.inner_text("table.audit")
        assert log.count("case.assign") == 2 and "Bagi tugas: Pangkal Pinang" in log

        page.goto(f"{base}/staff/queue")
        with page.expect_download() as download:
            page.click("a:has-text('CSV')")
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert sorted(r["participant_name"] for r in rows) == sorted(m.name for m in MONTHS)
        assert {r["assignee_name"] for r in rows if r["region_code"] == "19.71"} == {"Staf finance"}
        assert problems == [], problems
        laptop.close()

        phone = chromium.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        problems = watch(page)
        _sign_in(page, base, "ani")
        page.goto(f"{base}/staff/queue?region=15")
        assert "Wulan Sari" in page.inner_text("table.queue")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
        page.screenshot(path=str(ARTIFACTS / "queue-finance-phone.png"), full_page=True)
        assert problems == [], problems
        phone.close()
