"""``/api/v1/reconciliation``: upload (multipart) with problems for bad files, lists with filters and keyset
pages, resolving with a reason; on both backends."""

import io
from typing import Any

import pytest
from sqlalchemy import text

from billing.auth.models import Role
from billing.settings import Settings
from tests.factories import auth, token
from tests.test_problems import assert_problem

# No receipt of ours has these references: every line is money in the file only.
FILE = b"reference,amount,date,status\nsim_ch_a,16800,2024-06-05,settled\nsim_ch_b,36800,2024-06-06,settled\n"
LIMIT = 4096


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, log_json=False, log_level="WARNING", max_upload_bytes=LIMIT)


@pytest.fixture
def finance(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth(token(app, Role.finance))


def upload(client, headers: dict[str, str], data: bytes = FILE, **fields: str) -> Any:  # type: ignore[no-untyped-def]
    form = {"file": (io.BytesIO(data), "settlement june.csv"), **fields}
    return client.post("/api/v1/reconciliation/imports", data=form, headers=headers, content_type="multipart/form-data")


def count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_upload_list_and_resolve(client, engine, finance) -> None:  # type: ignore[no-untyped-def]
    resp = upload(client, finance)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["duplicate"] is False
    assert (body["filename"], body["format"], body["gateway"]) == ("settlement june.csv", "bank", "simulator")
    assert (body["lines"], body["file_only"], body["first_day"], body["last_day"]) == (2, 2, "2024-06-05", "2024-06-06")

    again = upload(client, finance)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["id"] == body["id"]
    assert count(engine, "reconciliation_line") == 2

    imports = client.get("/api/v1/reconciliation/imports", headers=finance).get_json()
    assert [i["id"] for i in imports["items"]] == [body["id"]] and imports["next_cursor"] is None

    first = client.get("/api/v1/reconciliation/items?limit=1", headers=finance).get_json()
    assert len(first["items"]) == 1 and first["next_cursor"] is not None
    rest = client.get(f"/api/v1/reconciliation/items?limit=1&cursor={first['next_cursor']}", headers=finance)
    items = first["items"] + rest.get_json()["items"]
    assert [(i["kind"], i["reference"], i["file_amount"]) for i in items] == [
        ("file_only", "sim_ch_b", 36_800),
        ("file_only", "sim_ch_a", 16_800),
    ]
    day = client.get("/api/v1/reconciliation/items?from=2024-06-06&to=2024-06-06", headers=finance).get_json()
    assert [i["reference"] for i in day["items"]] == ["sim_ch_b"]
    none = client.get("/api/v1/reconciliation/items?kind=books_only", headers=finance).get_json()
    assert none["items"] == []

    target = items[1]["id"]
    url = f"/api/v1/reconciliation/items/{target}/resolve"
    assert_problem(client.post(url, json={}, headers=finance), 422, "invalid_input")
    assert_problem(client.post(url, json={"reason": "  "}, headers=finance), 422, "invalid_input")
    done = client.post(url, json={"reason": "Transfer salah alamat, dikembalikan bank"}, headers=finance)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["resolution"] == "Transfer salah alamat, dikembalikan bank"
    assert done.get_json()["resolved_by"] is not None
    assert_problem(client.post(url, json={"reason": "lagi"}, headers=finance), 409, "reconciliation_item_resolved")
    missing = client.post("/api/v1/reconciliation/items/999999/resolve", json={"reason": "tidak ada"}, headers=finance)
    assert_problem(missing, 404, "reconciliation_item_not_found")
    still_open = client.get("/api/v1/reconciliation/items?resolved=false", headers=finance).get_json()
    assert [i["reference"] for i in still_open["items"]] == ["sim_ch_b"]
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT action, target_id, status FROM audit_record WHERE action LIKE 'reconciliation.%' ORDER BY id")
        ).all()
    # The API's writes, each audited with its status (the refusals too).
    assert ("reconciliation.upload_import", str(body["id"]), 201) in audited
    assert ("reconciliation.resolve_item", str(target), 200) in audited
    assert ("reconciliation.resolve_item", str(target), 409) in audited


@pytest.mark.parametrize(
    ("data", "code", "errors"),
    [
        (b"ref;jumlah\nx;1\n", "settlement_header_invalid", [(None, "header")]),
        (FILE + b"sim_ch_c,16.800,2024-06-07,settled\n", "settlement_lines_invalid", [(4, "amount")]),
        (FILE + b"sim_ch_c,16800,2024-02-30,settled\n", "settlement_lines_invalid", [(4, "date")]),
        (b"\xff\xfe\x00", "settlement_not_text", []),
    ],
)
def test_a_bad_file_is_a_problem_and_writes_nothing(client, engine, finance, data, code, errors) -> None:  # type: ignore[no-untyped-def]
    body = assert_problem(upload(client, finance, data), 422, code)
    assert [(e.get("line"), e["field"]) for e in body.get("errors", [])] == errors
    assert count(engine, "reconciliation_import") == count(engine, "reconciliation_line") == 0


def test_upload_input_problems(client, engine, finance) -> None:  # type: ignore[no-untyped-def]
    assert_problem(upload(client, finance, b"x" * (LIMIT + 1)), 413, "payload_too_large")
    raw = client.post("/api/v1/reconciliation/imports", data=FILE, content_type="text/csv", headers=finance)
    assert_problem(raw, 415, "unsupported_media_type")
    no_file = client.post(
        "/api/v1/reconciliation/imports",
        data={"file": "text, not a file"},
        headers=finance,
        content_type="multipart/form-data",
    )
    assert_problem(no_file, 422, "invalid_input")
    assert_problem(upload(client, finance, format="excel"), 422, "invalid_input")
    assert_problem(upload(client, finance, gateway="nobank"), 422, "unknown_gateway")
    assert_problem(upload(client, finance, format="stripe"), 422, "settlement_header_invalid")
    assert count(engine, "reconciliation_import") == 0
    assert upload(client, finance, format="bank", gateway="simulator").status_code == 201


def test_managers_may_not_see_it(app, client) -> None:  # type: ignore[no-untyped-def]
    manager = auth(token(app, Role.manager))
    assert_problem(client.get("/api/v1/reconciliation/items", headers=manager), 403, "role_not_allowed")
    assert_problem(upload(client, manager), 403, "role_not_allowed")
