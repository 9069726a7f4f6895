import pytest

from tests.factories import auth, enrol, participant_body, token


@pytest.fixture
def admin(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "admin")


def test_enrol_normalises_and_derives_from_nik(client, admin) -> None:  # type: ignore[no-untyped-def]
    body = participant_body(phone="+62 812-3456-7890")
    body["nik"] = "1971015508950001"
    resp = client.post("/api/v1/participants", json=body, headers=auth(admin))
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["phone"] == "+6281234567890"
    assert data["gender"] == "P"  # day 55 = 15 + 40
    assert data["birth_date"] == "1995-08-15"
    assert data["status"] == "registered"
    assert data["programs"] == ["JKK", "JKM"]


def test_duplicate_nik_is_conflict(client, admin) -> None:  # type: ignore[no-untyped-def]
    first = enrol(client, admin)
    resp = client.post("/api/v1/participants", json=participant_body(nik=first["nik"]), headers=auth(admin))
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "nik_already_enrolled"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nik", "1971013208950001"),  # day 32
        ("nik", "9971015508950001"),  # no province 99
        ("region_code", "19.99"),
        ("declared_income", -5),
        ("programs", ["JHT"]),
        ("phone", "12345"),
        ("ecosystem", "pabrik"),
    ],
)
def test_invalid_field_is_422_and_nothing_written(client, admin, field, value) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/participants", json=participant_body(**{field: value}), headers=auth(admin))
    assert resp.status_code == 422
    problem = resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert problem["code"] == "invalid_input"
    assert [e["field"] for e in problem["errors"]] == [field]
    listing = client.get("/api/v1/participants", headers=auth(admin)).get_json()
    assert listing["total"] == 0
