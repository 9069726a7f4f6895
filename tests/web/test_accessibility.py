"""Every page in Chromium: axe-core finds no serious or critical violation, and at a phone's width
(375 px) nothing overflows sideways. The pages are the GET routes of the ``staff``, ``worker`` (/saya)
and ``agent`` (/agen) blueprints, read from the URL map (as tests/api_routes.py does for the API), so a
page added later is checked without being listed here; each is opened signed in as every role it allows
(a staff page that declares none, signed out and as an admin; a worker's or agent's, signed out), and
the report pages too. Screenshots: test-artifacts/pages/.

axe-core comes from the npm registry, pinned in dev.sh (``./dev.sh test`` fetches it into
.venv/share/axe-core/); it is put into the page by the test, not served by the app."""

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from billing.auth.guard import ROLES_ATTR
from billing.auth.models import STAFF_ROLES, Role
from tests.agents.builders import DAY, PASSWORD, agent, collect, worker_of
from tests.api_routes import ALL_RULES, APP, url_for_rule
from tests.factories import staff
from tests.reports import small_province as small
from tests.reports.browser import browser
from tests.web.live import sandbox, sign_in
from tests.web.worker import sender

AXE = Path(sys.prefix) / "share" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
PHONE, LAPTOP = {"width": 375, "height": 812}, {"width": 1280, "height": 800}
BAD_IMPACTS = ("serious", "critical")
MONTHS = f"from={small.FIRST}&to={small.LAST}"
# Further views of a page, by endpoint: query strings beside the bare URL.
QUERIES: dict[str, list[str]] = {
    "staff.dashboard_page": [f"region=19&{MONTHS}", f"region=19.71&{MONTHS}", "region=1"],
    "staff.audit": ["action=staff."],
    "agent.statement": ["bulan=2026-04", "lang=en"],
    "worker.status": ["lang=en"],
}
# Not staff pages, but people read them in the same browser session.
REPORT_PAGES = [
    f"/api/v1/reports/coverage?region=19&{MONTHS}&format=html",
    f"/api/v1/reports/churn?region=19&{MONTHS}&format=html",
    f"/api/v1/reports/coverage?{MONTHS}&format=html",
]


@dataclass(frozen=True)
class Visit:
    url: str
    role: Role | None  # None: signed out

    @property
    def name(self) -> str:
        slug = self.url.strip("/").replace("/", "_").replace("?", "__").replace("&", "_").replace("=", "-")
        return f"{slug or 'root'}--{self.role or 'signed-out'}"[:150]


def blueprint_visits(blueprint: str, open_to: tuple[Role | None, ...]) -> Iterator[Visit]:
    """The blueprint's GET pages, each as every role it declares; one that declares none as ``open_to``."""
    for rule in ALL_RULES:
        if rule.endpoint == f"{blueprint}.static" or not rule.endpoint.startswith(f"{blueprint}."):
            continue
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(APP, rule.endpoint, "GET")
        declared = getattr(APP.view_functions[rule.endpoint], ROLES_ATTR, None)
        roles: list[Role | None] = sorted(declared) if declared else list(open_to)
        for query in ["", *QUERIES.get(rule.endpoint, [])]:
            for role in roles:
                yield Visit(f"{url}?{query}" if query else url, role)


def staff_visits() -> Iterator[Visit]:
    return blueprint_visits("staff", (None, Role.admin))


def report_visits() -> Iterator[Visit]:
    for url in REPORT_PAGES:
        yield Visit(url, Role.manager)


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: ./dev.sh test fetches axe-core from the npm registry", pytrace=False)
    return AXE.read_text(encoding="utf-8")


def _violations(page: Any, source: str) -> list[str]:
    """axe-core's serious and critical findings, one line per rule with the elements it names.
    Playwright's evaluate is not subject to the page's content security policy."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in BAD_IMPACTS
    ]


def _axe_finds_a_planted_violation(chromium: Any, source: str) -> None:
    """The check itself works: an image without a text alternative is a critical finding."""
    page = chromium.new_page()
    page.set_content('<html lang="id"><head><title>t</title></head><body><main><img src="data:,"></main></body></html>')
    assert [p.split(" ")[1] for p in _violations(page, source)] == ["image-alt"]
    page.close()


def _contexts(chromium: Any, base: str, roles: set[Role | None]) -> dict[Role | None, Any]:
    """A browser context per role, signed in through the form (and one signed out)."""
    out = {}
    for role in roles:
        context = chromium.new_context(viewport=LAPTOP)
        if role is not None:
            page = context.new_page()
            page.goto(f"{base}/staff/login")
            sign_in(page, str(role))
            page.close()
        out[role] = context
    return out


def _inspect(context: Any, base: str, visit: Visit, source: str) -> tuple[list[str], str | None]:
    """Open one page in ``context``: its axe-core findings at a laptop's and a phone's width, and whether
    it overflows the phone (a screenshot of it kept); a line for the log. An export is only fetched."""
    answer = context.request.get(base + visit.url, max_redirects=0)
    kind = answer.headers.get("content-type", "")
    if answer.status >= 500:
        return [f"{visit.url} as {visit.role}: {answer.status}"], None
    if not kind.startswith("text/html"):  # an export (CSV), a quote (JSON): no page to check
        return [], f"{answer.status} {kind.split(';')[0]:<16} {visit.url} ({visit.role})"
    page = context.new_page()
    page.goto(base + visit.url)
    problems = _violations(page, source)
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
        )
        problems.append(f"{width} px wide at {PHONE['width']} px: {wide}")
    problems += [f"phone: {p}" for p in _violations(page, source)]
    page.screenshot(path=str(ARTIFACTS / f"{visit.name}-phone.png"), full_page=True)
    line = f"{answer.status} {'text/html':<16} {visit.url} ({visit.role}) -> {page.url[len(base) :]}"
    page.close()
    return [f"{visit.url} as {visit.role}: {p}" for p in problems], line


def _inspect_all(contexts: dict[Role | None, Any], base: str, visits: list[Visit], source: str) -> None:
    """Every visit in its role's context (closed afterwards); fails with every finding at once."""
    failures: list[str] = []
    checked: list[str] = []
    for visit in visits:
        found, line = _inspect(contexts[visit.role], base, visit, source)
        failures += found
        checked += [line] if line else []
    for context in contexts.values():
        context.close()
    print("\n".join(checked))
    assert failures == [], "\n".join(failures)


def test_every_staff_page_is_accessible_and_fits_a_phone(server) -> None:  # type: ignore[no-untyped-def]
    base, app = server
    small.seed(app.extensions["billing.engine"])
    for role in STAFF_ROLES:
        staff(app, role)
    visits = [*staff_visits(), *report_visits()]
    assert {v.url for v in visits} >= {"/staff/", "/staff/login", "/staff/dashboard", "/staff/audit"}
    source = _axe_source()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        _axe_finds_a_planted_violation(chromium, source)
        contexts = _contexts(chromium, base, {v.role for v in visits})
        _inspect_all(contexts, base, visits, source)


@pytest.fixture
def phone_server(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    """A sandbox on 4 May 2026: the worker and agent pages show months, cover and cash of that day."""
    with sandbox(sqlite_url, DAY) as served:
        yield served


def test_every_worker_and_agent_page_is_accessible_and_fits_a_phone(phone_server) -> None:  # type: ignore[no-untyped-def]
    base, app = phone_server
    engine = app.extensions["billing.engine"]
    settings = app.extensions["billing.settings"]
    # Agent 1, their worker 1 (the placeholder ids of the URLs), two months of cash: pages with content.
    budi = agent(engine, "budi")
    assert budi.id == 1
    pid = worker_of(engine, settings, budi.id)
    assert pid == 1
    collect(engine, settings, budi, pid, 2)
    with engine.connect() as conn:
        nik = conn.execute(text("SELECT nik FROM participant WHERE id = 1")).scalar_one()
    visits = [*blueprint_visits("worker", (None,)), *blueprint_visits("agent", (None,))]
    assert {v.url for v in visits} >= {"/saya/status", "/saya/masuk", "/agen/", "/agen/komisi", "/agen/tunai/1"}
    source = _axe_source()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        contexts = {role: chromium.new_context(viewport=LAPTOP) for role in (None, Role.worker, Role.agent)}
        page = contexts[Role.worker].new_page()
        page.goto(f"{base}/saya/masuk")
        page.fill("#id", nik)
        page.click("form[action='/saya/masuk'] button[type=submit]")
        page.wait_for_url("**/saya/masuk/kode**")
        page.fill("#code", sender(app).last_code("+6281234567890") or "")
        page.click("form[action='/saya/masuk/kode'] button[type=submit]")
        page.wait_for_url(f"{base}/saya/status")
        page.close()
        page = contexts[Role.agent].new_page()
        page.goto(f"{base}/agen/masuk")
        page.fill("#login", "budi")
        page.fill("#password", PASSWORD)
        page.click("form[action='/agen/masuk'] button[type=submit]")
        page.wait_for_url(f"{base}/agen/")
        page.close()
        _inspect_all(contexts, base, visits, source)
