"""Test data builders: valid by default, every field overridable."""

import itertools
from typing import Any

from flask.testing import FlaskClient

from billing import db
from billing.auth.models import Role
from billing.auth.service import create_user

_serial = itertools.count(1)


def nik(region: str = "19.71", day: int = 15, month: int = 8, year: int = 95, female: bool = False) -> str:
    """A structurally valid NIK for a regency such as ``19.71``, unique per call."""
    dd = day + 40 if female else day
    return f"{region.replace('.', '')}01{dd:02d}{month:02d}{year:02d}{next(_serial) % 10000:04d}"


def participant_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nik": nik(overrides.pop("nik_region", "19.71")),
        "full_name": "Siti Aminah",
        "phone": "0812-3456-7890",
        "region_code": "19.71",
        "ecosystem": "pasar",
        "sector": "pedagang pasar",
        "sector_category": "perdagangan",
        "declared_income": 1_000_000,
        "programs": ["JKK", "JKM"],
    }
    body.update(overrides)
    return body


def token(app: Any, role: Role | str, participant_id: int | None = None) -> str:
    with db.unit_of_work(app.extensions["billing.engine"]) as session:
        _, tok = create_user(session, role=Role(role), name=str(role), participant_id=participant_id)
    return tok


def auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def enrol(client: FlaskClient, admin_token: str, **overrides: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/participants", json=participant_body(**overrides), headers=auth(admin_token))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


STAFF_PASSWORD = "kata-sandi-yang-panjang"


def staff(app: Any, role: Role | str, username: str | None = None, password: str = STAFF_PASSWORD) -> int:
    """A staff member with a browser login (and no token); returns the user id."""
    with db.unit_of_work(app.extensions["billing.engine"]) as session:
        user, _ = create_user(
            session,
            role=Role(role),
            name=f"Staf {role}",
            username=username or str(role),
            password=password,
            token=False,
        )
    assert user.id is not None
    return user.id
