"""The workspace in a real browser (headless Chromium, SQLite): a finance officer signs in and finds
that sign-in in the audit log; a manager signs in and opens a report. Screenshots land in
test-artifacts/staff/."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from billing import create_app
from billing.auth.models import Role
from billing.settings import Settings
from tests.factories import STAFF_PASSWORD, staff
from tests.reports.browser import browser
from tests.web.live import serve

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "staff"


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    app = create_app(Settings(database_url=sqlite_url, log_json=False, log_level="WARNING"))
    with serve(app) as base:
        yield base, app


def _watch(page: Any) -> list[str]:
    """Console errors (a CSP violation is one), uncaught page errors, and failed loads (but the report
    pages' favicon, which no page of ours links)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return problems


def _sign_in(page: Any, base: str, login: str, shot: str | None = None) -> None:
    page.goto(f"{base}/staff/")
    assert page.url.startswith(f"{base}/staff/login")
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    page.fill("#login", login)
    page.fill("#password", STAFF_PASSWORD)
    page.click("form[action='/staff/login'] button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


def test_staff_sign_in_audit_and_reports_in_chromium(server) -> None:  # type: ignore[no-untyped-def]
    base, app = server
    staff(app, Role.finance, username="ani")
    staff(app, Role.manager, username="budi")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        phone = chromium.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        problems = _watch(page)
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
        problems = _watch(page)
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
