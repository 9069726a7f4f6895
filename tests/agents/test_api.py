"""The agents' API on both backends, on a sandbox clock (4 May 2026): an agent's token records cash for
their own worker (a replayed nonce answers the same collection), reads it and the month's statement;
another agent gets 404; finance reads the agents' cash and records a remittance; every error is a
problem+json; the operations are in the OpenAPI document."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from billing.auth.models import Role
from billing.auth.service import create_user
from billing.db import unit_of_work
from billing.settings import Settings
from tests.agents.builders import DAY, worker_of
from tests.factories import auth, participant_body, token
from tests.test_roles import assert_problem
from tests.web.worker import sender, set_day

NONCE = "api-client-nonce-0001"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True})


def _agent(engine: Engine, name: str) -> tuple[int, dict[str, str]]:
    with unit_of_work(engine) as s:
        user, clear = create_user(s, role=Role.agent, name=name)
    assert user.id is not None and clear is not None
    return user.id, auth(clear)


def _collect(client: FlaskClient, who: dict[str, str], pid: int, months: Any = 2, nonce: str = NONCE) -> Any:
    return client.post(f"/api/v1/agent/workers/{pid}/collections", json={"months": months, "nonce": nonce}, headers=who)


def test_an_agent_collects_through_the_api(app: Flask, client: FlaskClient, engine: Engine, settings: Settings) -> None:
    set_day(engine, DAY)
    budi_id, budi = _agent(engine, "Agen Budi")
    pid = worker_of(engine, settings, budi_id)
    listed = client.get("/api/v1/agent/workers", headers=budi).get_json()
    assert [w["id"] for w in listed["items"]] == [pid]

    made = _collect(client, budi, pid)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["receipt_number"] == f"PRS-{budi_id}-00001" and body["periods"] == ["2026-03", "2026-04"]
    assert (body["amount"], body["commission_bp"], body["commission"]) == (25_200, 750, 1_890)
    assert body["participant_status"] == "active"
    again = _collect(client, budi, pid)
    assert again.status_code == 201 and again.get_json() == body
    assert client.get(f"/api/v1/agent/collections/{body['id']}", headers=budi).get_json() == body

    statement = client.get("/api/v1/agent/commission?month=2026-05", headers=budi).get_json()
    assert (statement["collected"], statement["commission"], len(statement["lines"])) == (25_200, 1_890, 1)
    assert client.get("/api/v1/agent/commission", headers=budi).get_json()["month"] == "2026-05"
    assert_problem(client.get("/api/v1/agent/commission?month=May", headers=budi), 422)
    assert_problem(_collect(client, budi, pid, months=13, nonce="api-client-nonce-0002"), 422)
    assert_problem(_collect(client, budi, pid, months=True, nonce="api-client-nonce-0002"), 422)
    assert_problem(_collect(client, budi, pid, nonce="bad nonce"), 422)

    # Another agent: neither the worker nor the collection exists for them.
    _, sari = _agent(engine, "Agen Sari")
    assert_problem(_collect(client, sari, pid, nonce="api-client-nonce-0003"), 404, "participant_not_found")
    assert_problem(client.get(f"/api/v1/agent/collections/{body['id']}", headers=sari), 404, "collection_not_found")
    assert client.get("/api/v1/agent/workers", headers=sari).get_json()["items"] == []

    # Finance: the agents' cash, a remittance, never more than is held.
    finance = auth(token(app, Role.finance))
    cash = {c["agent_id"]: c["held"] for c in client.get("/api/v1/agents/cash", headers=finance).get_json()["items"]}
    assert cash[budi_id] == 25_200
    remit = f"/api/v1/agents/{budi_id}/remittances"
    too_much = client.post(remit, json={"amount": 25_201, "reference": "TRF-9"}, headers=finance)
    assert_problem(too_much, 409, "remittance_exceeds_cash")
    done = client.post(remit, json={"amount": 25_200, "reference": "TRF-9"}, headers=finance)
    assert done.status_code == 201 and done.get_json()["received_on"] == "2026-05-04"
    assert_problem(client.post(remit, json={"amount": 1, "reference": "TRF-9"}, headers=finance), 409)
    assert_problem(
        client.post(f"/api/v1/agents/{pid + 1000}/remittances", json={"amount": 1, "reference": "X"}, headers=finance),
        404,
    )
    assert_problem(client.post(remit, json={"amount": "10", "reference": "TRF-9"}, headers=finance), 422)
    # The agent cannot record their own remittance.
    assert_problem(client.post(remit, json={"amount": 1, "reference": "TRF-9"}, headers=budi), 403, "role_not_allowed")


def test_an_agent_enrols_through_the_api(client: FlaskClient, app: Flask, engine: Engine) -> None:
    set_day(engine, DAY)
    budi_id, budi = _agent(engine, "Agen Budi")
    _, sari = _agent(engine, "Agen Sari")
    body = participant_body(phone="0812-5555-6666")
    started = client.post("/api/v1/agent/enrolments", json=body, headers=budi)
    assert started.status_code == 202, started.get_json()
    challenge = started.get_json()["challenge_id"]
    confirm = f"/api/v1/agent/enrolments/{challenge}/confirm"
    code = sender(app).last_code("+6281255556666")
    assert code is not None
    # Only the agent who asked may confirm, and only with the worker's code (a wrong try counts).
    assert_problem(client.post(confirm, json={"code": code}, headers=sari), 404, "enrolment_not_found")
    wrong = "000000" if code != "000000" else "111111"
    assert_problem(client.post(confirm, json={"code": wrong}, headers=budi), 422, "wrong_code")
    assert_problem(client.post(confirm, json={"code": "12"}, headers=budi), 422)
    done = client.post(confirm, json={"code": code}, headers=budi)
    assert done.status_code == 201, done.get_json()
    worker = done.get_json()
    assert worker["full_name"] == "Siti Aminah" and worker["status"] == "registered"
    assert_problem(client.post(confirm, json={"code": code}, headers=budi), 409, "used")
    assert [w["id"] for w in client.get("/api/v1/agent/workers", headers=budi).get_json()["items"]] == [worker["id"]]
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT p.enrolment_source, e.agent_id, a.attempts FROM participant p "
                "JOIN agent_enrolment e ON e.participant_id = p.id JOIN otp_challenge a ON a.id = :c"
            ),
            {"c": challenge},
        ).one()
    assert tuple(found) == ("agent", budi_id, 1)  # the wrong try was kept although its answer was a 422
    # The same NIK again: the code goes out, and the enrolment is refused once the phone is proved.
    again = client.post("/api/v1/agent/enrolments", json=body, headers=budi).get_json()["challenge_id"]
    code = sender(app).last_code("+6281255556666")
    refused = client.post(f"/api/v1/agent/enrolments/{again}/confirm", json={"code": code}, headers=budi)
    assert_problem(refused, 409, "nik_already_enrolled")


def test_too_many_codes_for_one_phone_are_429_with_retry_after(
    client: FlaskClient, engine: Engine, settings: Settings
) -> None:
    set_day(engine, DAY)
    _, budi = _agent(engine, "Agen Budi")
    body = participant_body(phone="0812-7777-8888")
    for _ in range(settings.otp_sends_per_hour):
        assert client.post("/api/v1/agent/enrolments", json=body, headers=budi).status_code == 202
    refused = client.post("/api/v1/agent/enrolments", json=body, headers=budi)
    assert_problem(refused, 429, "too_many_sends")
    assert 0 < int(refused.headers["Retry-After"]) <= 3600


def test_the_operations_are_documented(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    collect = paths["/api/v1/agent/workers/{participant_id}/collections"]["post"]
    assert {"201", "404", "409", "422"} <= set(collect["responses"])
    assert collect["responses"]["409"]["content"]["application/problem+json"]
    for path in (
        "/api/v1/agent/enrolments",
        "/api/v1/agent/enrolments/{challenge_id}/confirm",
        "/api/v1/agent/commission",
        "/api/v1/agents/cash",
        "/api/v1/agents/{agent_id}/remittances",
    ):
        assert path in paths, path
