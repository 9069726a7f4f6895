"""GET /api/v1/participants/<id>/notices: staff see anyone's, a worker only their own (others 404)."""

from datetime import UTC, datetime, timedelta

import pytest

from billing.auth.models import Role
from billing.db import unit_of_work
from billing.notices.models import Notice, NoticeKind
from tests.factories import auth, enrol, token

T0 = datetime(2024, 6, 5, 1, 0, tzinfo=UTC)
UPCOMING = {"amount": 16800, "period": "2024-06-01", "debit_on": "2024-06-05", "account": "BRI ••••1234"}
ENDED = {"last_paid": None, "through": "2024-09-01", "arrears_months": 3, "cause": "sponsor_stopped"}


@pytest.fixture
def world(app, client, engine):  # type: ignore[no-untyped-def]
    admin = token(app, Role.admin)
    mine, other = enrol(client, admin)["id"], enrol(client, admin)["id"]
    with unit_of_work(engine) as s:
        s.add(
            Notice(
                participant_id=mine,
                kind=NoticeKind.debit_upcoming,
                dedupe_key="u",
                params=UPCOMING,
                created_at=T0,
                sent_at=T0 + timedelta(minutes=1),
                attempts=1,
            )
        )
        s.add(
            Notice(
                participant_id=mine,
                kind=NoticeKind.coverage_ended,
                dedupe_key="e",
                params=ENDED,
                created_at=T0 + timedelta(days=90),
            )
        )
        s.add(
            Notice(
                participant_id=mine,
                kind=NoticeKind.coverage_at_risk,
                dedupe_key="old",
                params={},
                created_at=T0 - timedelta(days=1),
            )
        )
        s.add(Notice(participant_id=other, kind=NoticeKind.debit_upcoming, dedupe_key="x", params=UPCOMING))
        s.commit()
    tokens = {
        Role.admin: admin,
        Role.finance: token(app, Role.finance),
        Role.manager: token(app, Role.manager),
        Role.worker: token(app, Role.worker, participant_id=mine),
    }
    return tokens, mine, other


# Staff and the participant's own worker read them (an agent reads none through this API).
@pytest.mark.parametrize("role", [Role.admin, Role.finance, Role.manager, Role.worker])
def test_newest_first_with_the_text(client, world, role: Role) -> None:  # type: ignore[no-untyped-def]
    tokens, mine, _ = world
    resp = client.get(f"/api/v1/participants/{mine}/notices", headers=auth(tokens[role]))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 50)
    assert [i["kind"] for i in body["items"]] == ["coverage_ended", "debit_upcoming", "coverage_at_risk"]
    ended, upcoming, old = body["items"]
    assert ended["text"].startswith("Kepesertaan BPJS Ketenagakerjaan Anda berakhir: pemberi bantuan iuran")
    assert ended["sent_at"] is None and ended["attempts"] == 0
    assert upcoming["text"].startswith("Iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800 akan ditarik")
    assert upcoming["sent_at"].startswith("2024-06-05T01:01") and upcoming["attempts"] == 1
    assert old["text"] is None  # params it cannot be rendered from: listed, not a 500
    assert set(ended) == {"id", "kind", "text", "created_at", "sent_at", "attempts"}


def test_pages(client, world) -> None:  # type: ignore[no-untyped-def]
    tokens, mine, _ = world
    body = client.get(f"/api/v1/participants/{mine}/notices?page=2&per_page=2", headers=auth(tokens[Role.admin]))
    assert [i["kind"] for i in body.get_json()["items"]] == ["coverage_at_risk"]
    bad = client.get(f"/api/v1/participants/{mine}/notices?per_page=500", headers=auth(tokens[Role.admin]))
    assert bad.status_code == 422


def test_a_worker_gets_404_for_someone_else(client, world) -> None:  # type: ignore[no-untyped-def]
    tokens, _, other = world
    resp = client.get(f"/api/v1/participants/{other}/notices", headers=auth(tokens[Role.worker]))
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "participant_not_found"


def test_unknown_participant_is_404_for_staff(client, world) -> None:  # type: ignore[no-untyped-def]
    tokens, _, _ = world
    resp = client.get("/api/v1/participants/999999/notices", headers=auth(tokens[Role.finance]))
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "participant_not_found"
