"""The workspace in a real browser (headless Chromium, SQLite): a finance officer signs in and finds
that sign-in in the audit log; a manager signs in and opens a report. Screenshots land in
test-artifacts/staff/."""

from billing.auth.models import Role
from tests.factories import staff
from tests.reports import small_province as small
from tests.reports.browser import browser
from tests.web.live import ARTIFACTS, sign_in, watch
from tests.web.live import sign_in_at as _sign_in


def test_staff_sign_in_audit_and_reports_in_chromium(server) -> None:  # type: ignore[no-untyped-def]
    base, app = server
    staff(app, Role.finance, username="ani")
    staff(app, Role.manager, username="budi")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        phone = chromium.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        problems = watch(page)
        _sign_in(page, base, "ani", shot="login-phone.png")
        assert "Selamat datang" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
        page.screenshot(path=str(ARTIFACTS / "home-finance-phone.png"), full_page=True)
        page.click("a[href='/staff/audit']")
        page.wait_for_url(f"{base}/staff/audit")
        log = page.inner_text("table.audit")
        assert "staff.sign_in" in log and "Staf finance" in log
        page.screenshot(path=str(ARTIFACTS / "audit-finance-phone.png"), full_page=True)
        assert problems == [], problems
        phone.close()

        laptop = chromium.new_context(viewport={"width": 1366, "height": 768})
        page = laptop.new_page()
        problems = watch(page)
        _sign_in(page, base, "budi")
        page.screenshot(path=str(ARTIFACTS / "home-manager-laptop.png"), full_page=True)
        assert page.locator("a[href='/staff/audit']").count() == 0
        coverage = page.locator("form[action='/api/v1/reports/coverage']")
        coverage.locator("input[name=region]").fill("19")
        coverage.locator("button[type=submit]").click()
        page.wait_for_url("**/api/v1/reports/coverage?**")
        assert "Bangka Belitung" in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "report-manager-laptop.png"), full_page=True)
        assert problems == [], problems
        laptop.close()


def test_a_manager_reads_the_dashboard_and_opens_a_report_in_chromium(server) -> None:  # type: ignore[no-untyped-def]
    base, app = server
    small.seed(app.extensions["billing.engine"])
    staff(app, Role.manager, username="budi")
    months = f"from={small.FIRST}&to={small.LAST}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        laptop = chromium.new_context(viewport={"width": 1366, "height": 768})
        page = laptop.new_page()
        problems = watch(page)
        # A report link as `billing demo seed` prints it, opened before signing in: the sign-in page,
        # then the report itself.
        demo_link = f"{base}/api/v1/reports/churn?region=19.71&{months}&format=html"
        page.goto(demo_link)
        assert page.url.startswith(f"{base}/staff/login?next=")
        sign_in(page, "budi")
        assert page.url == demo_link and "Kota Pangkal Pinang" in page.inner_text("h1")

        page.goto(f"{base}/staff/")
        page.click("a[href='/staff/dashboard']")
        page.wait_for_url(f"{base}/staff/dashboard")
        page.goto(f"{base}/staff/dashboard?{months}")
        page.click("a:text-is('Kepulauan Bangka Belitung')")  # drill down to the province's regencies
        page.wait_for_url(f"{base}/staff/dashboard?region=19&{months}")
        row = page.locator("tr", has=page.locator("th a:text-is('Kota Pangkal Pinang')"))
        assert row.locator("td").all_inner_texts() == ["2", "10", "20,00%", "52,00%", "32,00", "1", "1", "0"]
        page.screenshot(path=str(ARTIFACTS / "dashboard-manager-laptop.png"), full_page=True)
        for fmt, media in (("csv", "text/csv"), ("pdf", "application/pdf")):
            link = page.locator(f"ul.reports a[href*='/coverage?'][href$='format={fmt}']")
            answer = page.request.get(base + link.get_attribute("href"))  # the browser's own session
            assert answer.status == 200 and answer.headers["content-type"].startswith(media)
        page.click("ul.reports a[href*='/coverage?'][href$='format=html']")
        page.wait_for_url("**/api/v1/reports/coverage?**format=html")
        assert "Kepulauan Bangka Belitung" in page.inner_text("h1")
        page.screenshot(path=str(ARTIFACTS / "dashboard-report-laptop.png"), full_page=True)
        assert problems == [], problems
        laptop.close()
