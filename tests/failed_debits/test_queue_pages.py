"""``/staff/queue`` for people: the page and its filters, the CSV export, assigning one month, and bulk
actions: preview, confirm, refusals kept apart, a selection that changed meanwhile, every month audited."""

import csv
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import text

from billing import db
from billing.auth.models import Role
from billing.errors import Conflict
from billing.failed_debits import bulk
from tests.factories import staff
from tests.failed_debits.builders import Attempt, Month, build_all
from tests.web.browser_session import csrf_token, sign_in

MONTHS = [
    Month("Ani"),
    Month("Budi", region="15.71", attempts=[Attempt(code="account_closed")], next_retry=None, stopped="account_closed"),
    Month('=HYPERLINK("http://x")', amount=20_000),
    Month("Dewi", region="15.71", channel="ewallet", display="OVO ••••0004"),
]


@pytest.fixture
def world(app, engine, client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    ids = build_all(engine, MONTHS)
    finance = staff(app, Role.finance, username="fina")
    other = staff(app, Role.admin, username="adi")
    staff(app, Role.manager, username="mira")
    sign_in(client, "fina")
    return {"ids": ids, "finance": finance, "admin": other}


def audit(engine: Any, prefix: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_record WHERE action LIKE :p ORDER BY id"), {"p": prefix + "%"})
        return [dict(r._mapping) for r in rows]


def assigned(engine: Any) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT contribution_id, assignee_id FROM case_assignment")).all())  # type: ignore[arg-type]


def test_the_page_lists_filters_sorts_and_links_each_case(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/staff/queue")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Antrean debit gagal" in html and "Failed debits" in html
    for cid in world["ids"].values():
        assert f'href="/staff/cases/{cid}"' in html
    assert "OVO ••••0004" in html and "rekening ditutup" in html and "dihentikan" in html
    assert re.search(r"<strong>4</strong> bulan.*<strong>4</strong> peserta.*Rp 70\.400", html, re.S)
    narrowed = client.get("/staff/queue?region=15&channel=ewallet").get_data(as_text=True)
    assert "Dewi" in narrowed and "Ani" not in narrowed and "Rp 16.800" in narrowed
    # Sorting by amount, the largest first: the header links there and the rows follow it.
    assert "sort=amount" in html
    by_amount = client.get("/staff/queue?sort=amount&order=desc").get_data(as_text=True)
    assert by_amount.index("HYPERLINK") < by_amount.index("Dewi")
    # A keyset page at a time.
    first = client.get("/staff/queue?limit=3&sort=participant").get_data(as_text=True)
    cursor = re.search(r'rel="next" href="[^"]*cursor=([^"&]+)', first)
    assert cursor is not None and "Dewi" not in first
    second = client.get(f"/staff/queue?limit=3&sort=participant&order=asc&cursor={cursor[1]}").get_data(as_text=True)
    assert "Dewi" in second and "Ani" not in second and 'rel="next"' not in second


def test_a_bad_filter_is_shown_not_crashed(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/staff/queue?region=abc&amount_min=-5")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Saringan tidak valid" in html and "region" in html and "amount_min" in html
    assert client.get("/staff/queue?cursor=zz").status_code == 422


def test_the_csv_is_the_whole_filtered_set_and_safe_in_a_spreadsheet(client, world) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/staff/queue.csv?region=19.71&sort=amount&order=desc&limit=1")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="antrean-debit-gagal-')
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    # Every row of the filter (not one page), in the order asked.
    assert [r["participant_name"] for r in rows] == ['\'=HYPERLINK("http://x")', "Ani"]
    ani = rows[1]
    assert ani["amount"] == "16800" and ani["display"] == "BRI ••••1234" and ani["failure_code"] == "insufficient_funds"
    assert ani["nik"][4:12] == "********" and ani["next_retry_on"] == "2026-03-14"
    assert int(ani["days_until_coverage_ends"]) < 0  # June 2026 is long past on the machine's clock


def test_assigning_one_month_is_audited_with_its_reason(client, engine, world) -> None:  # type: ignore[no-untyped-def]
    ani = world["ids"]["Ani"]
    form = client.get(f"/staff/queue/{ani}/assign?next=/staff/queue?region=19")
    assert form.status_code == 200 and "Alasan" in form.get_data(as_text=True)
    token = csrf_token(client, f"/staff/queue/{ani}/assign")
    url = f"/staff/queue/{ani}/assign"
    missing = client.post(url, data={"csrf_token": token, "assignee_id": str(world["admin"]), "reason": " "})
    assert missing.status_code == 422 and assigned(engine) == {}
    done = client.post(
        url,
        data={
            "csrf_token": token,
            "assignee_id": str(world["admin"]),
            "reason": "bank BRI perlu dihubungi",
            "next": "/staff/queue?region=19",
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/staff/queue?region=19"
    assert assigned(engine) == {ani: world["admin"]}
    [entry] = audit(engine, "case.assign")
    assert (entry["target_type"], entry["target_id"], entry["reason"]) == (
        "contribution",
        str(ani),
        "bank BRI perlu dihubungi",
    )
    assert entry["user_id"] == world["finance"] and entry["channel"] == "web"
    assert "Staf admin" in client.get("/staff/queue?assignee=" + str(world["admin"])).get_data(as_text=True)
    # A manager may not be given a case; taking it back is audited too.
    refused = client.post(url, data={"csrf_token": token, "assignee_id": "999", "reason": "x"})
    assert refused.status_code == 422 and assigned(engine) == {ani: world["admin"]}
    client.post(url, data={"csrf_token": token, "assignee_id": "", "reason": "salah orang"})
    assert assigned(engine) == {}
    assert [e["action"] for e in audit(engine, "case.")] == ["case.assign", "case.unassign"]
    # Without the form's token nothing happens.
    assert client.post(url, data={"assignee_id": str(world["admin"]), "reason": "x"}).status_code == 403
    assert assigned(engine) == {}


def _preview(client, query: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/queue/bulk?{query}")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert found is not None, html
    return html, found[1]


def test_bulk_assign_previews_then_applies_each_month_apart(client, engine, world) -> None:  # type: ignore[no-untyped-def]
    ids = world["ids"]
    html, fingerprint = _preview(client, "action=assign&region=19.71")
    assert re.search(r"<strong>2</strong> bulan.*Rp 36\.800", html, re.S)
    # Ani is already the admin's: refused for her alone, the other month is assigned.
    with db.unit_of_work(engine) as s:
        from billing.auth.models import ApiUser
        from billing.failed_debits.assignment import assign

        assign(s, [ids["Ani"]], world["admin"], s.get(ApiUser, world["finance"]), "sudah")  # type: ignore[arg-type]
    token = csrf_token(client, "/staff/queue")
    form = {
        "csrf_token": token,
        "action": "assign",
        "region": "19.71",
        "fingerprint": fingerprint,
        "assignee_id": str(world["admin"]),
        "reason": "bagi tugas minggu ini",
    }
    done = client.post("/staff/queue/bulk", data=form)
    body = done.get_data(as_text=True)
    assert done.status_code == 200, body
    assert (
        re.search(r"<strong>1</strong> selesai.*<strong>1</strong> ditolak", body, re.S) and "already_assigned" in body
    )
    assert assigned(engine) == {ids["Ani"]: world["admin"], ids['=HYPERLINK("http://x")']: world["admin"]}
    actions = [(e["action"], e["target_id"]) for e in audit(engine, "") if e["action"].startswith(("case.", "queue."))]
    assert actions == [
        ("case.assign", str(ids["Ani"])),
        ("queue.bulk_refused", str(ids["Ani"])),
        ("case.assign", str(ids['=HYPERLINK("http://x")'])),
        ("queue.bulk", None),
    ]
    [summary] = audit(engine, "queue.bulk")[-1:]
    assert summary["reason"] == "bagi tugas minggu ini"


def test_a_selection_that_changed_since_the_preview_is_not_applied(client, engine, world) -> None:  # type: ignore[no-untyped-def]
    _, fingerprint = _preview(client, "action=assign&region=15.71")
    build_all(engine, [Month("Eko", region="15.71")])  # a new failure joins the selection
    token = csrf_token(client, "/staff/queue")
    form = {"csrf_token": token, "action": "assign", "region": "15.71", "fingerprint": fingerprint, "reason": "r"}
    resp = client.post("/staff/queue/bulk", data=form | {"assignee_id": str(world["finance"])})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "Pilihan berubah" in html and "<strong>3</strong> bulan" in html
    assert assigned(engine) == {} and audit(engine, "queue.") == []
    new = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert new is not None and new[1] != fingerprint
    again = client.post("/staff/queue/bulk", data=form | {"fingerprint": new[1], "assignee_id": str(world["finance"])})
    assert again.status_code == 200 and len(assigned(engine)) == 3


def test_a_refused_month_keeps_none_of_its_writes(app, client, engine, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An action that writes, then refuses odd months: their writes are rolled back, the others kept."""
    from billing.audit.service import record

    def note_then_refuse(session, contribution_id, actor, reason, params) -> None:  # type: ignore[no-untyped-def]
        record(session, action="case.note", target=("contribution", contribution_id), reason=reason, user=actor)
        if contribution_id % 2:
            raise Conflict("Ganjil. / Odd.", code="odd")

    action = bulk.BulkAction("Catat", "Note", frozenset({Role.finance}), note_then_refuse)
    monkeypatch.setitem(bulk.BULK_ACTIONS, "note", action)
    _, fingerprint = _preview(client, "action=note")
    token = csrf_token(client, "/staff/queue")
    resp = client.post(
        "/staff/queue/bulk", data={"csrf_token": token, "action": "note", "fingerprint": fingerprint, "reason": "uji"}
    )
    assert resp.status_code == 200
    even = sorted(c for c in world["ids"].values() if c % 2 == 0)
    odd = sorted(c for c in world["ids"].values() if c % 2)
    assert even and odd
    assert sorted(int(e["target_id"]) for e in audit(engine, "case.note")) == even
    assert sorted(int(e["target_id"]) for e in audit(engine, "queue.bulk_refused")) == odd


def test_bulk_refuses_unknown_actions_roles_and_missing_reasons(app, client, engine, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/staff/queue/bulk?action=explode").status_code == 404
    monkeypatch.setitem(
        bulk.BULK_ACTIONS, "admins", bulk.BulkAction("A", "A", frozenset({Role.admin}), lambda *a: None)
    )
    assert client.get("/staff/queue/bulk?action=admins").status_code == 403
    _, fingerprint = _preview(client, "action=assign")
    token = csrf_token(client, "/staff/queue")
    form = {"csrf_token": token, "action": "assign", "fingerprint": fingerprint, "reason": ""}
    assert client.post("/staff/queue/bulk", data=form).status_code == 422
    assert client.post("/staff/queue/bulk", data=form | {"reason": "r", "assignee_id": "0"}).status_code == 422
    assert assigned(engine) == {} and audit(engine, "queue.") == []


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/queue.csv", "/staff/queue/bulk?action=assign"])
def test_managers_may_not_open_the_queue(app, engine, path: str) -> None:  # type: ignore[no-untyped-def]
    build_all(engine, [Month("Ani")])
    staff(app, Role.manager, username="mira")
    manager = app.test_client()
    sign_in(manager, "mira")
    assert manager.get(path).status_code == 403
    assert app.test_client().get(path).status_code == 302  # not signed in: to the sign-in page


def test_the_home_page_links_the_queue_for_finance_only(app, client, world) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/staff/queue"' in client.get("/staff/").get_data(as_text=True)
    manager = app.test_client()
    sign_in(manager, "mira")
    assert 'href="/staff/queue"' not in manager.get("/staff/").get_data(as_text=True)


def test_bulk_retry_plans_new_attempts_and_refuses_the_hard_failure(client, engine, world) -> None:  # type: ignore[no-untyped-def]
    """The case actions are bulk actions too: a retry over the whole queue plans one new attempt (a new
    key, trigger manual, left for the workers to send) per month it may, and refuses the closed account."""
    ids = world["ids"]
    _, fingerprint = _preview(client, "action=retry")
    token = csrf_token(client, "/staff/queue")
    form = {"csrf_token": token, "action": "retry", "fingerprint": fingerprint, "reason": "gajian sudah masuk"}
    resp = client.post("/staff/queue/bulk", data=form)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    refused = {int(e["target_id"]): e for e in audit(engine, "queue.bulk_refused")}
    with engine.connect() as conn:
        planned = conn.execute(
            text("SELECT contribution_id, status, idempotency_key FROM debit_attempt WHERE trigger = 'manual'")
        ).all()
    after = refused[ids["Budi"]]["after"]
    assert list(refused) == [ids["Budi"]] and (json.loads(after) if isinstance(after, str) else after)["code"] == (
        "hard_failure"
    )
    others = sorted(c for c in ids.values() if c != ids["Budi"])
    assert sorted(planned) == [(c, "pending", f"ct{c}-2") for c in others]
