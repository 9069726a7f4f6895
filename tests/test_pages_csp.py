"""The HTML pages served with their content security policy still work in a real browser (headless
Chromium): Swagger UI at /docs loads its own assets and the API document, and a report page renders,
with no policy violation reported."""

import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from werkzeug.serving import make_server

from billing import create_app
from billing.auth.models import Role
from billing.settings import Settings
from tests.factories import auth, token
from tests.reports.browser import browser


@pytest.fixture
def live(sqlite_url: str) -> Iterator[tuple[str, str]]:
    """The app served on 127.0.0.1, and a manager's token."""
    app = create_app(Settings(database_url=sqlite_url, log_json=False, log_level="WARNING"))
    manager = token(app, Role.manager)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", manager
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["billing.engine"].dispose()


def _watch(page: Any) -> list[str]:
    """Errors the page reports; a blocked script or style is one (Chromium logs the violation)."""
    problems: list[str] = []

    def console(message: Any) -> None:
        # The browser's own look for /favicon.ico (there is none) is not the page's doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_swagger_ui_works_under_its_policy(live: tuple[str, str]) -> None:
    base, _ = live
    with browser() as chromium:
        page = chromium.new_page()
        problems = _watch(page)
        response = page.goto(f"{base}/docs")
        assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "BPU auto-debit billing" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=20_000)  # the operations, read from /openapi.json
        assert page.locator(".opblock").count() > 20
        assert problems == [], problems


def test_a_report_page_renders_under_its_policy(live: tuple[str, str]) -> None:
    base, manager = live
    month = f"{date.today():%Y-%m}"
    with browser() as chromium:
        page = chromium.new_page(extra_http_headers=auth(manager))
        problems = _watch(page)
        response = page.goto(f"{base}/api/v1/reports/coverage?region=19.71&from={month}&to={month}&format=html")
        assert response is not None and response.status == 200, response and response.text()
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert page.locator("svg").count() >= 1
        assert problems == [], problems
