from typing import Any

import pytest

from billing.timeutil import today_local
from tests.factories import auth, enrol, token


@pytest.fixture
def admin(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "admin")


def mandate_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gateway": "simulator",
        "payment_method": "sim_ok",
        "channel": "bank",
        "display": "BRI ••••1234",
        "debit_day": 5,
        "consent_source": "web",
    }
    body.update(overrides)
    return body


def _create(client, tok: str, **overrides: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/mandates", json=mandate_body(**overrides), headers=auth(tok))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _total(client, tok: str) -> int:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/mandates", headers=auth(tok)).get_json()["total"]


@pytest.mark.parametrize(
    ("overrides", "field", "hint"),
    [
        ({"debit_day": 31}, "debit_day", "on or before the 15th"),
        ({"debit_day": 16}, "debit_day", "tanggal debit paling lambat tanggal 15"),
        ({"debit_day": 0}, "debit_day", "greater than or equal to 1"),
        ({"payment_method": "1234 5678 9012"}, "payment_method", "account number"),
        ({"payment_method": "0012-3456-78"}, "payment_method", "account number"),
        ({"display": "BRI 0012345678"}, "display", "last 4 digits"),
        ({"gateway": "paypal"}, "gateway", "simulator, snap, stripe"),
        ({"channel": "cash"}, "channel", "bank"),
    ],
)
def test_invalid_mandate_is_422_and_nothing_written(client, admin, overrides, field, hint) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    resp = client.post("/api/v1/mandates", json=mandate_body(participant_id=pid, **overrides), headers=auth(admin))
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["code"] == "invalid_input"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert hint in problem["errors"][0]["message"]
    assert _total(client, admin) == 0


@pytest.mark.parametrize("day", [16, 28])
def test_debit_day_after_the_due_date_is_refused_with_its_code(client, admin, day) -> None:  # type: ignore[no-untyped-def]
    """A month is due on the 15th: a first debit later than that would make every month late."""
    pid = enrol(client, admin)["id"]
    resp = client.post("/api/v1/mandates", json=mandate_body(participant_id=pid, debit_day=day), headers=auth(admin))
    assert (resp.status_code, resp.mimetype) == (422, "application/problem+json")
    assert [(e["field"], e["type"]) for e in resp.get_json()["errors"]] == [("debit_day", "debit_day_after_due_date")]
    made = _create(client, admin, participant_id=pid, debit_day=15)
    patched = client.patch(f"/api/v1/mandates/{made['id']}", json={"debit_day": day}, headers=auth(admin))
    assert patched.status_code == 422
    assert patched.get_json()["errors"][0]["type"] == "debit_day_after_due_date"
    assert client.get(f"/api/v1/mandates/{made['id']}", headers=auth(admin)).get_json()["debit_day"] == 15


def test_owner_must_be_exactly_one(client, admin) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    sponsor = client.post(
        "/api/v1/sponsors", json={"name": "PT Maju", "kind": "company", "budget_type": "csr"}, headers=auth(admin)
    ).get_json()
    for owners in ({"participant_id": pid, "sponsor_id": sponsor["id"]}, {}):
        resp = client.post("/api/v1/mandates", json=mandate_body(**owners), headers=auth(admin))
        assert resp.status_code == 422
        assert [e["field"] for e in resp.get_json()["errors"]] == ["sponsor_id"]
    assert _total(client, admin) == 0


def test_unknown_participant_is_422(client, admin) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/mandates", json=mandate_body(participant_id=424242), headers=auth(admin))
    assert resp.status_code == 422
    assert (resp.get_json()["code"], resp.get_json()["errors"][0]["field"]) == ("unknown_participant", "participant_id")


def test_full_lifecycle_is_recorded(client, admin) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    created = _create(client, admin, participant_id=pid)
    assert (created["status"], created["revoked_at"]) == ("pending", None)
    url = f"/api/v1/mandates/{created['id']}"
    steps = [
        ("activate", None, "active"),
        ("suspend", {"reason": "libur panen"}, "suspended"),
        ("resume", None, "active"),
        ("revoke", {"reason": "pindah bank"}, "revoked"),
    ]
    for action, body, expected in steps:
        resp = client.post(f"{url}/{action}", json=body, headers=auth(admin))
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["status"] == expected
    final = client.get(url, headers=auth(admin)).get_json()
    assert (final["status_reason"], final["revoked_at"] is not None) == ("pindah bank", True)

    events = client.get(f"{url}/events", headers=auth(admin)).get_json()["items"]
    admin_id = events[0]["actor"]
    assert admin_id.isdigit()
    today = today_local("Asia/Jakarta").isoformat()
    assert [(e["from_status"], e["to_status"], e["reason"], e["actor"], e["occurred_on"]) for e in events] == [
        (None, "pending", "created", admin_id, today),
        ("pending", "active", None, admin_id, today),
        ("active", "suspended", "libur panen", admin_id, today),
        ("suspended", "active", None, admin_id, today),
        ("active", "revoked", "pindah bank", admin_id, today),
    ]


def test_impossible_transition_is_409_naming_from_and_to(client, admin) -> None:  # type: ignore[no-untyped-def]
    mandate = _create(client, admin, participant_id=enrol(client, admin)["id"])
    url = f"/api/v1/mandates/{mandate['id']}"
    client.post(f"{url}/revoke", headers=auth(admin))
    resp = client.post(f"{url}/resume", headers=auth(admin))
    assert resp.status_code == 409
    problem = resp.get_json()
    assert problem["code"] == "invalid_mandate_transition"
    assert "revoked" in problem["detail"] and "active" in problem["detail"]
    assert (problem["errors"][0]["from_status"], problem["errors"][0]["to_status"]) == ("revoked", "active")
    assert len(client.get(f"{url}/events", headers=auth(admin)).get_json()["items"]) == 2  # created, revoked


def test_second_live_mandate_is_409_until_the_first_is_revoked(client, admin) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(client, admin)["id"]
    first = _create(client, admin, participant_id=pid)
    resp = client.post("/api/v1/mandates", json=mandate_body(participant_id=pid), headers=auth(admin))
    assert (resp.status_code, resp.get_json()["code"]) == (409, "mandate_already_live")
    client.post(f"/api/v1/mandates/{first['id']}/revoke", headers=auth(admin))
    assert _create(client, admin, participant_id=pid, payment_method="pm_1Nv0xQ2eZvKYlo2C")["status"] == "pending"


def test_sponsor_mandate_is_one_live_per_sponsor(client, admin) -> None:  # type: ignore[no-untyped-def]
    sponsor = client.post(
        "/api/v1/sponsors",
        json={"name": "Pemkot Bontang", "kind": "pemda", "budget_type": "apbd", "region_code": "64.74"},
        headers=auth(admin),
    ).get_json()
    created = _create(client, admin, sponsor_id=sponsor["id"], gateway="stripe", payment_method="pm_card_visa")
    assert (created["sponsor_id"], created["participant_id"]) == (sponsor["id"], None)
    resp = client.post("/api/v1/mandates", json=mandate_body(sponsor_id=sponsor["id"]), headers=auth(admin))
    assert resp.status_code == 409
    listed = client.get(f"/api/v1/mandates?sponsor_id={sponsor['id']}", headers=auth(admin)).get_json()
    assert [m["id"] for m in listed["items"]] == [created["id"]]


def test_patch_changes_details_and_is_audited(client, admin) -> None:  # type: ignore[no-untyped-def]
    mandate = _create(client, admin, participant_id=enrol(client, admin)["id"])
    url = f"/api/v1/mandates/{mandate['id']}"
    resp = client.patch(url, json={"debit_day": 15, "display": "BNI ••••9876"}, headers=auth(admin))
    assert resp.status_code == 200
    assert (resp.get_json()["debit_day"], resp.get_json()["display"], resp.get_json()["status"]) == (
        15,
        "BNI ••••9876",
        "pending",
    )
    last = client.get(f"{url}/events", headers=auth(admin)).get_json()["items"][-1]
    assert (last["from_status"], last["to_status"], last["reason"]) == (
        "pending",
        "pending",
        "updated: debit_day, display",
    )
    for bad in ({}, {"debit_day": None}, {"debit_day": 16}, {"payment_method": "123456789"}):
        assert client.patch(url, json=bad, headers=auth(admin)).status_code == 422
    client.post(f"{url}/revoke", headers=auth(admin))
    closed = client.patch(url, json={"debit_day": 1}, headers=auth(admin))
    assert (closed.status_code, closed.get_json()["code"]) == (409, "mandate_closed")
    assert client.get(url, headers=auth(admin)).get_json()["debit_day"] == 15


def test_worker_sees_and_changes_only_their_own(app, client, admin) -> None:  # type: ignore[no-untyped-def]
    mine, other = enrol(client, admin)["id"], enrol(client, admin)["id"]
    worker = token(app, "worker", participant_id=mine)
    own = _create(client, worker, participant_id=mine)
    theirs = _create(client, admin, participant_id=other)
    sponsor = client.post(
        "/api/v1/sponsors", json={"name": "PT Maju", "kind": "company", "budget_type": "csr"}, headers=auth(admin)
    ).get_json()
    sponsors = _create(client, admin, sponsor_id=sponsor["id"])

    for hidden in (theirs, sponsors):
        url = f"/api/v1/mandates/{hidden['id']}"
        for resp in (
            client.get(url, headers=auth(worker)),
            client.get(f"{url}/events", headers=auth(worker)),
            client.post(f"{url}/revoke", headers=auth(worker)),
            client.patch(url, json={"debit_day": 2}, headers=auth(worker)),
        ):
            assert (resp.status_code, resp.get_json()["code"]) == (404, "mandate_not_found")
    assert client.get(f"/api/v1/mandates/{theirs['id']}", headers=auth(admin)).get_json()["status"] == "pending"
    assert (
        client.post("/api/v1/mandates", json=mandate_body(participant_id=other), headers=auth(worker)).status_code
        == 404
    )
    assert (
        client.post("/api/v1/mandates", json=mandate_body(sponsor_id=sponsor["id"]), headers=auth(worker)).status_code
        == 404
    )
    assert client.get(f"/api/v1/mandates?participant_id={other}", headers=auth(worker)).status_code == 404

    listed = client.get("/api/v1/mandates", headers=auth(worker)).get_json()
    assert (listed["total"], [m["id"] for m in listed["items"]]) == (1, [own["id"]])
    # Activation needs the gateway's/OTP's confirmation, relayed by staff.
    assert client.post(f"/api/v1/mandates/{own['id']}/activate", headers=auth(worker)).status_code == 403
    assert client.post(f"/api/v1/mandates/{own['id']}/revoke", headers=auth(worker)).get_json()["status"] == "revoked"


def test_manager_reads_but_cannot_write(app, client, admin) -> None:  # type: ignore[no-untyped-def]
    manager = token(app, "manager")
    pid = enrol(client, admin)["id"]
    resp = client.post("/api/v1/mandates", json=mandate_body(participant_id=pid), headers=auth(manager))
    assert (resp.status_code, resp.get_json()["code"]) == (403, "role_not_allowed")
    assert _total(client, admin) == 0
    mandate = _create(client, admin, participant_id=pid)
    assert client.get(f"/api/v1/mandates/{mandate['id']}", headers=auth(manager)).status_code == 200
    assert client.get("/api/v1/mandates?status=pending", headers=auth(manager)).get_json()["total"] == 1
    assert client.get("/api/v1/mandates?status=active", headers=auth(manager)).get_json()["total"] == 0
    assert client.post(f"/api/v1/mandates/{mandate['id']}/suspend", headers=auth(manager)).status_code == 403
    assert (
        client.patch(f"/api/v1/mandates/{mandate['id']}", json={"debit_day": 2}, headers=auth(manager)).status_code
        == 403
    )
