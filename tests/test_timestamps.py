"""Every timestamp the API returns is RFC 3339 with an offset, on SQLite (which stores none) as on
PostgreSQL: read back from the database, not only as written."""

import re
from typing import Any

from billing.auth.models import Role
from tests.factories import auth, enrol, token

RFC3339_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")
WITH_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def timestamps(value: Any, path: str = "") -> dict[str, str]:
    """Every string in a JSON value that is a date and time, by its dotted path."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in timestamps(item, f"{path}{key}.").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in timestamps(item, f"{path}{i}.").items()}
    return {path.rstrip("."): value} if isinstance(value, str) and RFC3339_TIME.match(value) else {}


def test_every_timestamp_has_an_offset(app, client) -> None:  # type: ignore[no-untyped-def]
    admin_token = token(app, Role.admin)
    admin = auth(admin_token)
    participant = enrol(client, admin_token)
    mandate = {
        "participant_id": participant["id"],
        "gateway": "simulator",
        "payment_method": "sim_ok",
        "channel": "bank",
        "display": "BRI ••••1234",
        "debit_day": 5,
        "consent_source": "web",
    }
    created = client.post("/api/v1/mandates", json=mandate, headers=admin)
    assert created.status_code == 201, created.get_json()
    mandate_id = created.get_json()["id"]
    for action in ("activate", "revoke"):
        assert client.post(f"/api/v1/mandates/{mandate_id}/{action}", headers=admin).status_code == 200
    sponsor = {"name": "PT Maju", "kind": "company", "budget_type": "csr"}
    sponsor_id = client.post("/api/v1/sponsors", json=sponsor, headers=admin).get_json()["id"]

    found: dict[str, str] = {}
    for url in (
        f"/api/v1/mandates/{mandate_id}",
        f"/api/v1/mandates/{mandate_id}/events",
        f"/api/v1/participants/{participant['id']}",
        f"/api/v1/sponsors/{sponsor_id}",
    ):
        resp = client.get(url, headers=admin)
        assert resp.status_code == 200, resp.get_json()
        found |= {f"{url} {k}": v for k, v in timestamps(resp.get_json()).items()}
    # The mandate alone has four: consent, created, updated, revoked.
    assert {k.rsplit(" ", 1)[1] for k in found if k.startswith(f"/api/v1/mandates/{mandate_id} ")} == {
        "consent_at",
        "created_at",
        "updated_at",
        "revoked_at",
    }
    assert len(found) >= 8, found
    assert {k: v for k, v in found.items() if not WITH_OFFSET.search(v)} == {}
