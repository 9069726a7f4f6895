"""The managers' dashboard page: who may open it, the drill-down from a province to its regencies, and
the report links it gives (HTML, CSV and PDF answer the signed-in manager)."""

import html
import re

from billing.auth.models import Role
from tests.factories import staff
from tests.reports import small_province as small
from tests.web.browser_session import sign_in

PROVINCE = f"/staff/dashboard?region=19&from={small.FIRST}&to={small.LAST}"
LINK = re.compile(r'href="(/api/v1/reports/[^"]+)"')


def test_a_manager_drills_down_and_opens_each_report(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    small.seed(engine)
    staff(app, Role.manager)
    sign_in(client, "manager")
    home = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/dashboard"' in home

    country = client.get(f"/staff/dashboard?from={small.FIRST}&to={small.LAST}")
    assert country.status_code == 200
    page = country.get_data(as_text=True)
    assert "Per provinsi" in page and f'href="{html.escape(PROVINCE)}"' in page  # a province links to its regencies

    resp = client.get(PROVINCE)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Kepulauan Bangka Belitung" in page and "Per kabupaten/kota" in page
    rows = {m[1]: m[2] for m in re.finditer(r'<tr>\s*<th scope="row"><a [^>]*>([^<]+)</a>(.*?)</tr>', page, re.S)}
    cells = {name: re.findall(r'<td class="n"[^>]*>([^<]*)</td>', row) for name, row in rows.items()}
    # active, potential, coverage, target, gap, in, lapses, change (tests/reports/small_province.py)
    assert cells["Kota Pangkal Pinang"] == ["2", "10", "20,00%", "52,00%", "32,00", "1", "1", "0"]
    assert cells["Kabupaten Bangka"] == ["2", "8", "25,00%", "50,00%", "25,00", "2", "1", "1"]
    assert "Batanghari" not in rows
    assert "20,00%" in page and "55,00%" in page and "3 → 4" in page  # the province's tiles

    links = [html.unescape(u) for u in LINK.findall(page)]
    assert len(links) == 6 and all("region=19&" in u and "from=2024-02&to=2024-03" in u for u in links)
    kinds = {}
    for url in links:
        got = client.get(url)
        assert got.status_code == 200, (url, got.get_data(as_text=True)[:300])
        kinds[url.rsplit("format=", 1)[1]] = got.mimetype
        if url.endswith("format=html"):
            assert "Kepulauan Bangka Belitung" in got.get_data(as_text=True)
        if url.endswith("format=csv"):
            assert got.get_data(as_text=True).startswith(("region_code,", "step,"))
    assert kinds == {"html": "text/html", "csv": "text/csv", "pdf": "application/pdf"}

    regency = client.get(f"/staff/dashboard?region=19.71&from={small.FIRST}&to={small.LAST}").get_data(as_text=True)
    assert "Kota Pangkal Pinang" in regency and "Per kabupaten/kota" not in regency
    assert f'href="/staff/dashboard?region=19&amp;from={small.FIRST}' in regency  # back up to the province


def test_only_managers_and_admins(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.finance)
    staff(app, Role.admin)
    assert client.get("/staff/dashboard").headers["Location"] == "/staff/login?next=/staff/dashboard"
    sign_in(client, "finance")
    refused = client.get("/staff/dashboard")
    assert refused.status_code == 403 and "Your role may not open this page" in refused.get_data(as_text=True)
    assert 'href="/staff/dashboard"' not in client.get("/staff/").get_data(as_text=True)
    admin = app.test_client()
    sign_in(admin, "admin")
    assert admin.get("/staff/dashboard").status_code == 200  # the last six months, the whole country


def test_bad_filters_are_explained(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.manager)
    sign_in(client, "manager")
    bad = client.get("/staff/dashboard?region=1&from=2024-01&to=2024-02")
    assert bad.status_code == 422 and "Invalid region code" not in bad.get_data(as_text=True)
    assert "region (19 atau / or 19.71)" in bad.get_data(as_text=True)
    future = client.get("/staff/dashboard?from=2024-01&to=2999-01")
    assert future.status_code == 422 and "to (bulan yang akan datang / a future month)" in future.get_data(as_text=True)
    unknown = client.get("/staff/dashboard?region=99&from=2024-01&to=2024-02")
    assert unknown.status_code == 404 and "Region 99 not found" in unknown.get_data(as_text=True)
