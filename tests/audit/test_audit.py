"""The audit trail: API writes and staff actions recorded, refusals too, nothing ever changed."""

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from billing import db
from billing.audit.service import record
from billing.auth.models import Role
from tests.factories import auth, participant_body, staff, token
from tests.web.browser_session import sign_in


def rows(engine: Any, where: str = "1=1") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM audit_record WHERE {where} ORDER BY id"))
        return [dict(r._mapping) for r in result]


def test_an_api_write_is_recorded_with_its_change(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    admin = token(app, Role.admin)
    body = participant_body(full_name="Siti Aminah")
    resp = client.post("/api/v1/participants", json=body, headers={**auth(admin), "X-Request-ID": "req-123"})
    assert resp.status_code == 201
    [entry] = rows(engine, "action LIKE 'participants.%'")
    assert entry["status"] == 201 and entry["role"] == "admin" and entry["channel"] == "api"
    assert (entry["target_type"], entry["target_id"]) == ("participants", str(resp.get_json()["id"]))
    assert entry["request_id"] == "req-123" and entry["source_ip"] == "127.0.0.1"
    after = entry["after"] if isinstance(entry["after"], dict) else json.loads(entry["after"])
    sent = after["request"]
    assert after["method"] == "POST" and sent["full_name"] == "Siti Aminah"
    # NIK and phone masked as in the logs.
    assert sent["nik"] == body["nik"][:4] + "********" + body["nik"][-4:]
    assert "3456" not in sent["phone"]


def test_a_refused_write_is_recorded_though_nothing_else_is(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    admin = token(app, Role.admin)
    manager = token(app, Role.manager)
    bad = client.post("/api/v1/participants", json=participant_body(nik="123"), headers=auth(admin))
    assert bad.status_code == 422
    forbidden = client.post("/api/v1/participants", json=participant_body(), headers=auth(manager))
    assert forbidden.status_code == 403
    unknown = client.post("/api/v1/participants", json=participant_body(), headers=auth("bk_nobody"))
    assert unknown.status_code == 401
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM participant")).scalar_one() == 0
    written = rows(engine, "action LIKE 'participants.%'")
    assert [(r["status"], r["role"]) for r in written] == [(422, "admin"), (403, "manager")]  # 401: no one to name


def test_a_failed_request_rolls_back_a_staff_action_with_its_record(app, engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), db.unit_of_work(engine) as s:
        record(s, action="case.note", target=("participant", 1), reason="sudah ditelepon", after={"x": 1})
        raise RuntimeError
    assert rows(engine) == []
    request = app.test_request_context("/staff/cases/1", environ_base={"REMOTE_ADDR": "10.0.0.5"})
    with request, db.unit_of_work(engine) as s:
        record(s, action="case.note", target=("participant", 1), before={"a": 1}, after={"a": 2}, reason="r")
    [entry] = rows(engine)
    assert (entry["action"], entry["channel"], entry["source_ip"]) == ("case.note", "web", "10.0.0.5")
    assert entry["reason"] == "r"


@pytest.mark.parametrize("statement", ["UPDATE audit_record SET action = 'x'", "DELETE FROM audit_record"])
def test_the_database_refuses_to_change_history(app, engine, statement: str) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work(engine) as s:
        record(s, action="case.note")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert [r["action"] for r in rows(engine)] == ["case.note"]


def test_the_audit_api_lists_filters_and_pages(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    finance = token(app, Role.finance)
    manager = token(app, Role.manager)
    uid = staff(app, Role.admin)
    sign_in(app.test_client(), "admin")
    with db.unit_of_work(engine) as s:
        for i in range(5):
            record(s, action="case.note", target=("participant", i), reason=f"n{i}")
    assert client.get("/api/v1/audit", headers=auth(manager)).status_code == 403
    first = client.get("/api/v1/audit?action=case.&limit=2", headers=auth(finance)).get_json()
    assert [r["target_id"] for r in first["items"]] == ["4", "3"]
    cursor = first["next_cursor"]
    second = client.get(f"/api/v1/audit?action=case.&limit=2&cursor={cursor}", headers=auth(finance)).get_json()
    assert [r["target_id"] for r in second["items"]] == ["2", "1"]
    last = client.get(f"/api/v1/audit?action=case.&cursor={second['next_cursor']}", headers=auth(finance)).get_json()
    assert [r["target_id"] for r in last["items"]] == ["0"] and last["next_cursor"] is None
    mine = client.get(f"/api/v1/audit?user_id={uid}", headers=auth(finance)).get_json()["items"]
    assert [r["action"] for r in mine] == ["staff.sign_in"]
    target = client.get("/api/v1/audit?target_type=participant&target_id=3", headers=auth(finance)).get_json()
    assert [r["reason"] for r in target["items"]] == ["n3"]
    days = client.get("/api/v1/audit?from=2016-01-01&to=2016-01-31", headers=auth(finance)).get_json()
    assert days["items"] == []
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    listed = client.get(f"/api/v1/audit?action=case.&from={today}&to={today}", headers=auth(finance)).get_json()
    assert len(listed["items"]) == 5
    assert client.get("/api/v1/audit?from=yesterday", headers=auth(finance)).status_code == 422
    assert "/api/v1/audit" in client.get("/openapi.json").get_json()["paths"]


def test_the_audit_page_and_its_csv(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.finance)
    sign_in(client, "finance")
    with db.unit_of_work(engine) as s:
        for i in range(60):
            record(s, action="case.note", target=("participant", i), reason="=HYPERLINK(1)" if i == 0 else None)
    page = client.get("/staff/audit?action=case.")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<code>case.note</code>") == 50
    cursor = re.search(r"cursor=(\d+)", html)  # the link to the older records
    assert cursor is not None
    older = client.get(f"/staff/audit?action=case.&cursor={cursor[1]}").get_data(as_text=True)
    assert older.count("<code>case.note</code>") == 10
    assert client.get("/staff/audit?from=nope").status_code == 422
    export = client.get("/staff/audit.csv?action=case.")
    assert export.status_code == 200 and export.mimetype == "text/csv" and export.is_streamed
    lines = export.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,at,user_id") and len(lines) == 61
    assert "'=HYPERLINK(1)" in lines[-1]  # no formula for a spreadsheet to run
    assert client.get("/staff/audit.csv").get_data(as_text=True).count("staff.sign_in") == 1
