"""Voluntary cancellation and registering again after membership ended."""

from datetime import date

from sqlmodel import select

from billing.coverage.models import CoverageEvent
from billing.db import unit_of_work
from billing.mandates.models import Mandate
from tests.debits.world import enrol as enrol_with_mandate
from tests.factories import auth, token


def _events(engine, pid: int) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        rows = s.exec(select(CoverageEvent).where(CoverageEvent.participant_id == pid).order_by(CoverageEvent.id))
        return [(e.kind, e.to_status, e.cause) for e in rows]


def test_a_worker_cancels_and_the_mandate_is_revoked(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    pid = enrol_with_mandate(engine, date(2024, 6, 1), "sim_ok")
    worker = token(app, "worker", participant_id=pid)
    resp = client.post(f"/api/v1/participants/{pid}/cancel", headers=auth(worker))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "cancelled"
    assert _events(engine, pid)[-1] == ("cancelled", "cancelled", "voluntary")
    with unit_of_work(engine) as s:
        assert [m.status for m in s.exec(select(Mandate).where(Mandate.participant_id == pid))] == ["revoked"]
    again = client.post(f"/api/v1/participants/{pid}/cancel", headers=auth(worker), json={"reason": "pindah"})
    assert again.status_code == 409
    assert again.get_json()["code"] == "participant_not_active"


def test_registering_again_after_leaving(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    pid = enrol_with_mandate(engine, date(2024, 6, 1), None)
    finance = token(app, "finance")
    early = client.post(f"/api/v1/participants/{pid}/reregister", headers=auth(finance))
    assert early.status_code == 409 and early.get_json()["code"] == "participant_not_ended"
    client.post(f"/api/v1/participants/{pid}/cancel", headers=auth(finance), json={"reason": "merantau"})
    resp = client.post(f"/api/v1/participants/{pid}/reregister", headers=auth(finance))
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "registered"
    assert [k for k, _, _ in _events(engine, pid)] == ["enrolled", "cancelled", "reactivated"]


def test_a_worker_cannot_cancel_someone_else(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    mine = enrol_with_mandate(engine, date(2024, 6, 1), None)
    other = enrol_with_mandate(engine, date(2024, 6, 1), None)
    resp = client.post(f"/api/v1/participants/{other}/cancel", headers=auth(token(app, "worker", participant_id=mine)))
    assert resp.status_code == 404
    assert _events(engine, other) == [("enrolled", "registered", None)]
