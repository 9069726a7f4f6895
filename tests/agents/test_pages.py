"""The agents' pages (``/agen``) and finance's agents' cash page through Flask's test client, on both
backends, on a sandbox clock (4 May 2026): an agent signs in, enrols a worker who confirms with the code
sent to their own phone, records cash for two months with a double tap, reads the statement and its
CSV; finance sees the cash and records its remittance. And the refusals: another agent's worker and
collection are 404, a form without its CSRF token is refused, a worker cannot act as an agent, an agent
cannot open the staff workspace nor staff the agents' pages."""

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from billing.auth.models import Role
from billing.settings import Settings
from schedulers import jobs
from tests.agents.builders import DAY, PASSWORD, agent, rows
from tests.factories import auth, staff, token
from tests.web.browser_session import sign_in as staff_sign_in
from tests.web.worker import NONCE, Worker, enrolment_form, set_day
from tests.web.worker import text as words

PHONE = "+6281234567890"
WORKER_NIK = "1971011508950001"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True})


@pytest.fixture
def budi(app: Flask, engine: Engine) -> Worker:
    """Agent Budi's phone, signed in."""
    set_day(engine, DAY)
    agent(engine, "budi")
    phone = Worker(app, app.test_client())
    signed = phone.post("/agen/masuk", {"login": "budi", "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"] == "/agen/", words(signed)[:300]
    return phone


def _enrol(phone: Worker, engine: Engine, app: Flask, nik: str = WORKER_NIK) -> int:
    sent = phone.post("/agen/daftar", enrolment_form(nik=nik))
    assert sent.status_code == 302 and sent.headers["Location"] == "/agen/daftar/konfirmasi", words(sent)[:500]
    page = words(phone.client.get("/agen/daftar/konfirmasi"))
    assert "Kode 6 digit sudah dikirim ke HP pekerja" in page and "Laki-laki" in page
    done = phone.post("/agen/daftar/konfirmasi", {"code": phone.code_for(PHONE)})
    assert done.status_code == 302, words(done)[:500]
    found = re.fullmatch(r"/agen/pekerja/(\d+)\?welcome=1", done.headers["Location"])
    assert found, done.headers["Location"]
    jobs.generate_contributions(jobs.JobContext(app.extensions["billing.settings"], engine), DAY)  # May, June
    return int(found[1])


def _collect(phone: Worker, pid: int, months: int, nonce: str | None = None) -> str:
    page = phone.client.get(f"/agen/pekerja/{pid}").get_data(as_text=True)
    form = {"months": str(months), "nonce": nonce or NONCE.search(page)[1]}  # type: ignore[index]
    done = phone.post(f"/agen/pekerja/{pid}", form)
    assert done.status_code == 302, words(done)[:500]
    return str(done.headers["Location"])


def test_an_agent_enrols_collects_and_reads_the_statement(budi: Worker, app: Flask, engine: Engine) -> None:
    pid = _enrol(budi, engine, app)
    assert rows(engine, "SELECT enrolment_source FROM participant WHERE id = :p", p=pid) == [("agent",)]
    [(agent_id,)] = rows(engine, "SELECT agent_id FROM agent_enrolment WHERE participant_id = :p", p=pid)
    home = words(budi.client.get("/agen/"))
    assert "Siti Aminah" in home and "Rp 0" in home

    page = budi.client.get(f"/agen/pekerja/{pid}").get_data(as_text=True)
    nonce = NONCE.search(page)[1]  # type: ignore[index]
    where = _collect(budi, pid, 2, nonce)
    assert _collect(budi, pid, 2, nonce) == where  # the same form again: the same collection
    receipt = words(budi.client.get(where))
    number = f"PRS-{agent_id}-00001"
    assert "Uang tunai tercatat" in receipt and number in receipt and "Rp 16.800" in receipt
    assert "Mei 2026, Juni 2026" in receipt and "Rp 1.260" in receipt
    assert rows(engine, "SELECT COUNT(*), SUM(amount) FROM receipt") == [(1, 16_800)]
    assert rows(engine, "SELECT kind FROM notice WHERE participant_id = :p", p=pid) == [("cash_received",)]

    statement = words(budi.client.get("/agen/komisi"))
    assert "Komisi Mei 2026" in statement and number in statement and "7.5%" in statement
    english = words(budi.client.get("/agen/komisi?bulan=2026-05&lang=en"))
    assert "Commission May 2026" in english and "Rp 1,260" in english
    exported = budi.client.get("/agen/komisi.csv?bulan=2026-05")
    assert exported.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert lines[1][1:] == [number, str(pid), "Siti Aminah", "2026-05 2026-06", "16800", "750", "1260"]
    assert lines[-1] == ["total", "", "", "", "", "16800", "", "1260"]
    assert budi.client.get("/agen/komisi?bulan=2026-13").status_code == 422
    actions = [a for (a,) in rows(engine, "SELECT action FROM audit_record ORDER BY id")]
    assert {"agent.enrol_code_sent", "agent.enrolled", "agent.collected"} <= set(actions)

    # Finance sees the cash to be remitted and records the remittance.
    finance = app.test_client()
    staff(app, Role.finance, username="keu")
    assert staff_sign_in(finance, "keu").status_code == 302
    cash = words(finance.get("/staff/agen"))
    assert "Agen Budi" in cash and "Rp 16.800" in cash
    exported = finance.get("/staff/agen.csv").get_data(as_text=True)
    assert f"{agent_id},Agen Budi,budi,16800,1260,0,16800" in exported
    form_page = finance.get("/staff/agen").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_page)[1]  # type: ignore[index]
    done = finance.post(
        f"/staff/agen/{agent_id}/setoran", data={"csrf_token": csrf, "amount": "16.800", "reference": "TRF-01"}
    )
    assert done.status_code == 303
    assert "Rp 0" in words(budi.client.get("/agen/"))
    assert rows(engine, "SELECT action FROM audit_record WHERE action = 'agents.remittance'") == [
        ("agents.remittance",)
    ]


def test_another_agents_worker_and_collection_are_404(budi: Worker, app: Flask, engine: Engine) -> None:
    pid = _enrol(budi, engine, app)
    where = _collect(budi, pid, 1)
    agent(engine, "sari", "Agen Sari")
    sari = Worker(app, app.test_client())
    assert sari.post("/agen/masuk", {"login": "sari", "password": PASSWORD}).status_code == 302
    assert sari.client.get(f"/agen/pekerja/{pid}").status_code == 404
    assert sari.client.get(where).status_code == 404
    taken = sari.post(f"/agen/pekerja/{pid}", {"months": "1", "nonce": "another-form-nonce-1"}, "/agen/")
    assert taken.status_code == 404
    assert "Siti Aminah" not in words(sari.client.get("/agen/"))
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(1,)]


def test_a_form_without_its_csrf_token_is_refused(budi: Worker, app: Flask, engine: Engine) -> None:
    pid = _enrol(budi, engine, app)
    refused = budi.client.post(f"/agen/pekerja/{pid}", data={"months": "1", "nonce": "form-nonce-000000001"})
    assert refused.status_code == 403 and "CSRF" in words(refused)
    forged = budi.client.post(
        f"/agen/pekerja/{pid}", data={"months": "1", "nonce": "form-nonce-000000001", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(0,)]


def test_a_worker_cannot_act_as_an_agent(budi: Worker, app: Flask, client: FlaskClient, engine: Engine) -> None:
    pid = _enrol(budi, engine, app)
    worker = Worker(app, client)
    worker.sign_in(WORKER_NIK, PHONE)
    assert worker.client.get("/saya/status").status_code == 200
    # The worker's session opens /saya only: on /agen they are asked to sign in as an agent.
    bounced = worker.client.get(f"/agen/pekerja/{pid}")
    assert bounced.status_code == 302 and bounced.headers["Location"].startswith("/agen/masuk")
    # A worker's token is refused the agents' API.
    worker_token = auth(token(app, Role.worker, participant_id=pid))
    answer = client.post(
        f"/api/v1/agent/workers/{pid}/collections", json={"months": 1, "nonce": "x" * 20}, headers=worker_token
    )
    assert answer.status_code == 403 and answer.get_json()["code"] == "role_not_allowed"
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(0,)]


def test_agents_and_staff_keep_to_their_own_pages(budi: Worker, app: Flask, engine: Engine) -> None:
    for path in ("/staff/", "/staff/agen", "/staff/audit", "/staff/queue"):
        assert budi.client.get(path).status_code == 403, path
    refused = budi.client.get("/api/v1/participants", headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "role_not_allowed"
    assert budi.client.get("/api/v1/agent/workers").status_code == 200  # the agent's own API, by the cookie
    assert budi.client.get("/staff/login").headers["Location"] == "/agen/"

    staff(app, Role.admin, username="adm")
    admin = app.test_client()
    assert staff_sign_in(admin, "adm").status_code == 302
    assert admin.get("/agen/").status_code == 403
    signed_out = app.test_client().get("/agen/komisi")
    assert signed_out.status_code == 302 and signed_out.headers["Location"].startswith("/agen/masuk")
    wrong = Worker(app, app.test_client()).post("/agen/masuk", {"login": "budi", "password": "salah-salah"})
    assert wrong.status_code == 401
