from typing import Any

import pytest

from billing.timeutil import today_local
from tests.factories import auth, enrol, token

BONTANG = {"name": "Pemerintah Kota Bontang", "kind": "pemda", "budget_type": "apbd", "region_code": "64.74"}
CSR = {"name": "PT Sawit Sejahtera", "kind": "company", "budget_type": "csr"}


@pytest.fixture
def admin(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "admin")


def _sponsor(client, tok: str, body: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/sponsors", json=body, headers=auth(tok))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _members(client, tok: str, sponsor_id: int, current: bool = True) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    url = f"/api/v1/sponsors/{sponsor_id}/participants?current={str(current).lower()}"
    resp = client.get(url, headers=auth(tok))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_create_and_get(client, admin) -> None:  # type: ignore[no-untyped-def]
    created = _sponsor(client, admin, BONTANG)
    assert created["status"] == "active"
    assert created["member_count"] == 0
    assert created["stopped_on"] is None
    got = client.get(f"/api/v1/sponsors/{created['id']}", headers=auth(admin)).get_json()
    assert (got["name"], got["kind"], got["budget_type"], got["region_code"]) == (
        "Pemerintah Kota Bontang",
        "pemda",
        "apbd",
        "64.74",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CSR, "budget_type": "apbd"}, "budget_type"),  # a company pays from CSR only
        ({**BONTANG, "budget_type": "csr"}, "budget_type"),
        ({k: v for k, v in BONTANG.items() if k != "region_code"}, "region_code"),  # a pemda has a region
        ({**BONTANG, "region_code": "64.99"}, "region_code"),
        ({**BONTANG, "kind": "yayasan"}, "kind"),
    ],
)
def test_invalid_sponsor_is_422_and_nothing_written(client, admin, body, field) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/sponsors", json=body, headers=auth(admin))
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]
    assert client.get("/api/v1/sponsors", headers=auth(admin)).get_json()["total"] == 0


def test_list_filters_and_pages(client, admin) -> None:  # type: ignore[no-untyped-def]
    bontang = _sponsor(client, admin, BONTANG)
    _sponsor(client, admin, {**BONTANG, "name": "Pemkot Pangkalpinang", "region_code": "19.71"})
    csr = _sponsor(client, admin, CSR)

    def ids(qs: str) -> list[int]:
        return [s["id"] for s in client.get(f"/api/v1/sponsors?{qs}", headers=auth(admin)).get_json()["items"]]

    assert ids("region_code=64") == [bontang["id"]]  # a province lists its regencies' sponsors
    assert ids("kind=company") == [csr["id"]]
    assert ids("q=bontang") == [bontang["id"]]
    page = client.get("/api/v1/sponsors?per_page=2&page=2", headers=auth(admin)).get_json()
    assert (page["total"], [s["id"] for s in page["items"]]) == (3, [csr["id"]])


def test_add_members_is_idempotent_and_counts(client, admin) -> None:  # type: ignore[no-untyped-def]
    sponsor = _sponsor(client, admin, BONTANG)
    p1, p2 = enrol(client, admin)["id"], enrol(client, admin)["id"]
    url = f"/api/v1/sponsors/{sponsor['id']}/participants"
    first = client.post(url, json={"participant_ids": [p1, p2, p1]}, headers=auth(admin))
    assert first.status_code == 200
    assert first.get_json() == {"sponsor_id": sponsor["id"], "added": [p1, p2], "already_members": []}
    again = client.post(url, json={"participant_ids": [p2]}, headers=auth(admin)).get_json()
    assert (again["added"], again["already_members"]) == ([], [p2])
    assert client.get(f"/api/v1/sponsors/{sponsor['id']}", headers=auth(admin)).get_json()["member_count"] == 2
    today = today_local("Asia/Jakarta").isoformat()
    assert [(m["participant_id"], m["joined_on"], m["left_on"]) for m in _members(client, admin, sponsor["id"])] == [
        (p1, today, None),
        (p2, today, None),
    ]


def test_unknown_participants_are_422_listing_them_and_nothing_written(client, admin) -> None:  # type: ignore[no-untyped-def]
    sponsor = _sponsor(client, admin, BONTANG)
    p1 = enrol(client, admin)["id"]
    resp = client.post(
        f"/api/v1/sponsors/{sponsor['id']}/participants",
        json={"participant_ids": [p1, 9999, 8888]},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["code"] == "unknown_participants"
    assert [(e["field"], e["participant_id"]) for e in problem["errors"]] == [
        ("participant_ids.1", 9999),
        ("participant_ids.2", 8888),
    ]
    assert _members(client, admin, sponsor["id"]) == []


def test_participant_sponsored_elsewhere_is_409_and_nothing_written(client, admin) -> None:  # type: ignore[no-untyped-def]
    bontang, csr = _sponsor(client, admin, BONTANG), _sponsor(client, admin, CSR)
    free, taken = enrol(client, admin)["id"], enrol(client, admin)["id"]
    client.post(
        f"/api/v1/sponsors/{bontang['id']}/participants", json={"participant_ids": [taken]}, headers=auth(admin)
    )
    resp = client.post(
        f"/api/v1/sponsors/{csr['id']}/participants", json={"participant_ids": [free, taken]}, headers=auth(admin)
    )
    assert resp.status_code == 409
    problem = resp.get_json()
    assert problem["code"] == "participant_already_sponsored"
    assert [(e["participant_id"], e["sponsor_id"]) for e in problem["errors"]] == [(taken, bontang["id"])]
    assert _members(client, admin, csr["id"]) == []


def test_remove_member_ends_sponsorship_and_frees_participant(client, admin) -> None:  # type: ignore[no-untyped-def]
    bontang, csr = _sponsor(client, admin, BONTANG), _sponsor(client, admin, CSR)
    pid = enrol(client, admin)["id"]
    client.post(f"/api/v1/sponsors/{bontang['id']}/participants", json={"participant_ids": [pid]}, headers=auth(admin))
    url = f"/api/v1/sponsors/{bontang['id']}/participants/{pid}"
    removed = client.delete(url, headers=auth(admin))
    assert removed.status_code == 200
    assert removed.get_json()["left_on"] == today_local("Asia/Jakarta").isoformat()
    assert client.delete(url, headers=auth(admin)).get_json()["code"] == "membership_not_found"
    assert _members(client, admin, bontang["id"]) == []
    assert [m["participant_id"] for m in _members(client, admin, bontang["id"], current=False)] == [pid]
    moved = client.post(
        f"/api/v1/sponsors/{csr['id']}/participants", json={"participant_ids": [pid]}, headers=auth(admin)
    )
    assert moved.get_json()["added"] == [pid]


def test_stop_closes_memberships_and_refuses_new_ones(client, admin) -> None:  # type: ignore[no-untyped-def]
    sponsor = _sponsor(client, admin, BONTANG)
    p1, p2 = enrol(client, admin)["id"], enrol(client, admin)["id"]
    members_url = f"/api/v1/sponsors/{sponsor['id']}/participants"
    client.post(members_url, json={"participant_ids": [p1]}, headers=auth(admin))
    stopped = client.post(
        f"/api/v1/sponsors/{sponsor['id']}/stop", json={"reason": "APBD 2026 tidak dianggarkan"}, headers=auth(admin)
    )
    assert stopped.status_code == 200
    body = stopped.get_json()
    today = today_local("Asia/Jakarta").isoformat()
    assert (body["status"], body["stopped_on"], body["stop_reason"], body["member_count"]) == (
        "stopped",
        today,
        "APBD 2026 tidak dianggarkan",
        0,
    )
    assert [m["left_on"] for m in _members(client, admin, sponsor["id"], current=False)] == [today]
    late = client.post(members_url, json={"participant_ids": [p2]}, headers=auth(admin))
    assert (late.status_code, late.get_json()["code"]) == (409, "sponsor_stopped")
    again = client.post(f"/api/v1/sponsors/{sponsor['id']}/stop", json={"reason": "lagi"}, headers=auth(admin))
    assert (again.status_code, again.get_json()["code"]) == (409, "sponsor_already_stopped")


def test_roles(app, client, admin) -> None:  # type: ignore[no-untyped-def]
    sponsor = _sponsor(client, admin, BONTANG)
    manager, finance = token(app, "manager"), token(app, "finance")
    worker = token(app, "worker", participant_id=enrol(client, admin)["id"])
    assert client.get(f"/api/v1/sponsors/{sponsor['id']}", headers=auth(manager)).status_code == 200
    assert client.get(f"/api/v1/sponsors/{sponsor['id']}/participants", headers=auth(manager)).status_code == 200
    assert client.post("/api/v1/sponsors", json=CSR, headers=auth(manager)).status_code == 403
    assert (
        client.post(
            f"/api/v1/sponsors/{sponsor['id']}/stop", json={"reason": "x" * 5}, headers=auth(manager)
        ).status_code
        == 403
    )
    assert client.get("/api/v1/sponsors", headers=auth(worker)).status_code == 403
    assert client.post("/api/v1/sponsors", json=CSR, headers=auth(finance)).status_code == 201


def test_unknown_sponsor_is_404(client, admin) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/sponsors/424242", headers=auth(admin))
    assert (resp.status_code, resp.get_json()["code"]) == (404, "sponsor_not_found")
