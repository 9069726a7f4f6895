"""The report pages in a real browser (headless Chromium): they render from the file alone, without
errors or requests, on a laptop screen and in print; screenshots land in test-artifacts/reports/."""

from pathlib import Path

from billing.auth.models import Role
from tests.factories import auth, token
from tests.reports.browser import browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
PAGES = {
    "churn-19": "/api/v1/reports/churn?region=19&from=2024-01&to=2024-06&format=html",
    "coverage-19": "/api/v1/reports/coverage?region=19&from=2024-01&to=2024-06&format=html",
}


def test_pages_render_in_chromium(bangka, bangka_app) -> None:  # type: ignore[no-untyped-def]
    client, headers = bangka_app.test_client(), auth(token(bangka_app, Role.manager))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backend = bangka.engine.dialect.name
    with browser() as chromium:
        for name, url in PAGES.items():
            resp = client.get(url, headers=headers)
            assert resp.status_code == 200
            page_file = ARTIFACTS / f"{name}-{backend}.html"
            page_file.write_bytes(resp.data)
            page = chromium.new_page(viewport={"width": 1366, "height": 768})
            problems: list[str] = []
            page.on("console", lambda m, problems=problems: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, problems=problems: problems.append(str(e)))
            requests: list[str] = []
            page.on("request", lambda r, requests=requests: requests.append(r.url))
            page.goto(page_file.as_uri())
            assert problems == [], problems
            assert requests == [page_file.as_uri()]  # nothing fetched but the page itself
            charts = page.locator("svg")
            assert charts.count() == (4 if name.startswith("churn") else 1)
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 60, (name, i, box)
            # Nothing wider than a laptop screen: no sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            assert "turun 10,11%" in page.inner_text("body") or name.startswith("coverage")
            page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}.png"), full_page=True)
            page.emulate_media(media="print")
            page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}-print.png"), full_page=True)
            page.close()
