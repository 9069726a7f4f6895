"""``/api/v1/reports`` on the Bangka Belitung scenario: JSON, CSV, HTML, PDF, and refusals."""

import csv
import io

import pytest

from billing.auth.models import Role
from tests.factories import auth, token
from tests.reports.browser import require_chromium

CHURN = "/api/v1/reports/churn?region=19.71&from=2024-01&to=2024-06"
COVERAGE = "/api/v1/reports/coverage?region=19&from=2024-01&to=2024-06"


@pytest.fixture
def manager(bangka_app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth(token(bangka_app, Role.manager))


def test_json_for_managers_and_admins(bangka_app, manager) -> None:  # type: ignore[no-untyped-def]
    client = bangka_app.test_client()
    body = client.get(CHURN, headers=manager).get_json()
    assert body["report"] == "churn" and body["region"] == {"code": "19.71", "name": "Kota Pangkal Pinang", "level": 2}
    assert body["waterfall"]["check"]["balanced"] is True
    assert (body["waterfall"]["change"], body["waterfall"]["change_pct"]) == (-34, -10.97)
    assert body["explanation"]["id"].startswith("Peserta aktif Kota Pangkal Pinang turun 10,97% (310 → 276)")
    admin = auth(token(bangka_app, Role.admin))
    coverage = client.get(COVERAGE, headers=admin).get_json()
    assert [m["coverage_pct"] for m in coverage["regions"][0]["months"]][-1] == 32.0
    for role in (Role.finance, Role.worker):
        tok = token(bangka_app, role, participant_id=1 if role is Role.worker else None)
        assert client.get(CHURN, headers=auth(tok)).status_code == 403


def test_csv_of_each_table(bangka_app, manager) -> None:  # type: ignore[no-untyped-def]
    client = bangka_app.test_client()
    resp = client.get(CHURN + "&format=csv&table=causes", headers=manager)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'filename="churn-19.71-2024-01-2024-06-causes.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["value"], r["lapses"], r["share_of_lapses_pct"]) for r in rows[:2]] == [
        ("insufficient_funds", "44", "56.4"),
        ("sponsor_stopped", "20", "25.6"),
    ]
    for table in ("waterfall", "ecosystems", "payers", "sponsors", "channels", "debit_days", "tenure", "cohorts"):
        assert client.get(CHURN + f"&format=csv&table={table}", headers=manager).status_code == 200, table
    main = client.get(COVERAGE + "&format=csv", headers=manager).get_data(as_text=True).splitlines()
    assert main[0].startswith("region_code,region_name,month,participants,active")
    # The CSR sponsor stopped on 1 February: its 20 members, unpaid from February, are in arrears from
    # 15 February and end on 15 May (tests/reports/scenario.py): none is in arrears in June, and the
    # 24 who lapsed in January ended in April.
    assert "19.71,Kota Pangkal Pinang,2024-04,320,276,20,864,31.94,52.00,20.06,173" in main
    assert "19.71,Kota Pangkal Pinang,2024-06,320,276,0,864,31.94,52.00,20.06,173" in main
    wrong = client.get(CHURN + "&format=csv&table=nope", headers=manager)
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "unknown_table"


def test_html_page_by_format_or_accept(bangka_app, manager) -> None:  # type: ignore[no-untyped-def]
    client = bangka_app.test_client()
    page = client.get(CHURN, headers={**manager, "Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert html.count("<svg") == 3  # waterfall, causes, cohorts (a regency has no parts to compare)
    assert "Peserta aktif Kota Pangkal Pinang turun 10,97% (310 → 276)" in html
    assert "http://" not in html and "https://" not in html  # nothing to fetch: no CDN, no script
    assert "<script" not in html
    assert "@media print" in html
    coverage = client.get(COVERAGE + "&format=html", headers=manager).get_data(as_text=True)
    assert "Cakupan kepesertaan Kepulauan Bangka Belitung" in coverage and "<svg" in coverage


def test_pdf(bangka_app, manager) -> None:  # type: ignore[no-untyped-def]
    require_chromium()
    resp = bangka_app.test_client().get(CHURN + "&format=pdf", headers=manager)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF-") and len(resp.data) > 20_000


@pytest.mark.parametrize(
    ("query", "status", "code", "fields"),
    [
        ("region=19.71&from=2024-13&to=2024-06", 422, "invalid_input", ["from"]),
        ("region=19.71&from=2024-06&to=2024-01", 422, "invalid_report_period", ["to"]),
        ("region=19.71&from=2099-01&to=2099-01", 422, "invalid_report_period", ["to"]),
        ("region=19.71&from=2020-01&to=2024-06", 422, "invalid_report_period", ["to"]),
        ("region=1971&from=2024-01&to=2024-06", 422, "invalid_input", ["region"]),
        ("region=19.71&to=2024-06", 422, "invalid_input", ["from"]),
        ("region=19.71&from=2024-01&to=2024-06&format=xls", 422, "invalid_input", ["format"]),
        ("region=19.71&from=2024-01&to=2024-06&extra=1", 422, "invalid_input", ["extra"]),
        ("region=99.99&from=2024-01&to=2024-06", 404, "region_not_found", None),
    ],
)
def test_bad_requests(bangka_app, manager, query: str, status: int, code: str, fields: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    resp = bangka_app.test_client().get(f"/api/v1/reports/churn?{query}", headers=manager)
    body = resp.get_json()
    assert (resp.status_code, body["code"]) == (status, code), body
    assert resp.mimetype == "application/problem+json"
    if fields is not None:
        assert [e["field"] for e in body["errors"]] == fields
