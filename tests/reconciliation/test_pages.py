"""The reconciliation pages with Flask's test client: upload (CSRF, size limit, bad files shown and
nothing written), the queue with its filters and CSV, resolving with a reason (audited); roles."""

import csv
import io
from typing import Any

import pytest
from sqlalchemy import text

from billing.auth.models import Role
from billing.settings import Settings
from tests.factories import staff
from tests.web.browser_session import csrf_token, sign_in

FILE = b"reference,amount,date,status\nsim_ch_a,16800,2024-06-05,settled\nsim_ch_b,36800,2024-06-06,settled\n"
LIMIT = 4096


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, log_json=False, log_level="WARNING", max_upload_bytes=LIMIT)


@pytest.fixture
def finance(app, client):  # type: ignore[no-untyped-def]
    staff(app, Role.finance, username="ani")
    assert sign_in(client, "ani").status_code == 302
    return client


def upload(client, data: bytes = FILE, token: str | None = None, **fields: str) -> Any:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/staff/reconciliation/upload") if token is None else token
    form = {"csrf_token": token, "file": (io.BytesIO(data), "bank-juni.csv"), **fields}
    return client.post("/staff/reconciliation/upload", data=form, content_type="multipart/form-data")


def count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_upload_see_resolve_and_export(finance, engine) -> None:  # type: ignore[no-untyped-def]
    home = finance.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/reconciliation"' in home
    resp = upload(finance)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    page = finance.get(resp.headers["Location"]).get_data(as_text=True)
    assert "bank-juni.csv" in page and "sim_ch_a" in page and "sim_ch_b" in page
    assert "Di berkas, tidak di buku" in page and "Rp 36.800" in page

    again = upload(finance)
    assert "sudah pernah diimpor" in finance.get(again.headers["Location"]).get_data(as_text=True)
    assert count(engine, "reconciliation_import") == 1

    with engine.connect() as conn:
        item = conn.execute(text("SELECT id FROM reconciliation_item WHERE reference = 'sim_ch_a'")).scalar_one()
    url = f"/staff/reconciliation/items/{item}/resolve"
    token = csrf_token(finance, "/staff/reconciliation")
    refused = finance.post(url, data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422 and "Alasan wajib" in refused.get_data(as_text=True)
    done = finance.post(url, data={"csrf_token": token, "reason": "Dana masuk ke rekening lain", "next": "/staff/x"})
    assert done.status_code == 303 and done.headers["Location"] == "/staff/x"
    assert finance.post(url, data={"csrf_token": token, "reason": "lagi"}).status_code == 409

    open_page = finance.get("/staff/reconciliation").get_data(as_text=True)
    assert "sim_ch_b" in open_page and "sim_ch_a" not in open_page  # open items only, by default
    resolved = finance.get("/staff/reconciliation?resolved=true").get_data(as_text=True)
    assert "Dana masuk ke rekening lain" in resolved and "sim_ch_b" not in resolved
    assert "sim_ch_b" in finance.get("/staff/reconciliation?kind=file_only&from=2024-06-06").get_data(as_text=True)
    assert finance.get("/staff/reconciliation?from=kemarin").status_code == 422

    exported = finance.get("/staff/reconciliation.csv?resolved=all")
    assert exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert sorted(r["reference"] for r in table) == ["sim_ch_a", "sim_ch_b"]
    assert {r["resolution"] for r in table} == {"", "Dana masuk ke rekening lain"}

    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT action, target_id, reason, channel FROM audit_record WHERE action LIKE 'reconciliation.%'")
        ).all()
    assert sorted(audited) == sorted(
        [
            ("reconciliation.import", "1", None, "web"),
            ("reconciliation.resolve", str(item), "Dana masuk ke rekening lain", "web"),
        ]
    )
    log = finance.get("/staff/audit?action=reconciliation.").get_data(as_text=True)
    assert "reconciliation.resolve" in log and "Dana masuk ke rekening lain" in log


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b"ref,jumlah\nx,1\n", "Kepala kolom tidak dikenali"),
        (FILE + b"sim_ch_c,16.800,2024-06-07,settled\n", "jumlah tidak valid / bad amount"),
        (FILE + b"sim_ch_c,16800,07-06-2024,settled\n", "tanggal tidak valid / bad date"),
        (b"x" * (LIMIT + 1), "Berkas lebih dari"),
    ],
)
def test_a_bad_file_is_shown_and_nothing_written(finance, engine, data: bytes, shown: str) -> None:  # type: ignore[no-untyped-def]
    resp = upload(finance, data)
    assert resp.status_code in (413, 422)
    page = resp.get_data(as_text=True)
    assert shown in page and "Nothing was saved" in page
    assert 'enctype="multipart/form-data"' in page  # the form again, to try another file
    assert count(engine, "reconciliation_import") == count(engine, "audit_record WHERE action LIKE 'reconc%'") == 0


def test_without_csrf_or_file(finance, engine) -> None:  # type: ignore[no-untyped-def]
    assert upload(finance, token="").status_code == 403
    no_file = finance.post(
        "/staff/reconciliation/upload",
        data={"csrf_token": csrf_token(finance, "/staff/reconciliation/upload")},
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422 and "Pilih berkas CSV" in no_file.get_data(as_text=True)
    assert count(engine, "reconciliation_import") == 0


def test_managers_are_refused(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.manager, username="budi")
    sign_in(client, "budi")
    assert client.get("/staff/reconciliation").status_code == 403
    assert client.get("/staff/reconciliation/upload").status_code == 403
    assert 'href="/staff/reconciliation"' not in client.get("/staff/").get_data(as_text=True)
