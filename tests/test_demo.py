"""``billing demo seed``: the quickstart scenario simulated once in a sandbox database (reproducing its
headline figures), then the same working tokens and the URLs printed on every run. SQLite only: the
demo's embedded database (the big scenarios run on PostgreSQL in tests/simulation)."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from billing.demo.tokens import read
from billing.participants.models import Participant
from billing.settings import Settings
from billing.simulation.scenario import load
from tests.factories import auth, enrol, token
from tests.simulation.test_scenarios import assert_headline
from tests.web.browser_session import csrf_token, sign_in
from tests.web.worker import Worker


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, log_json=False, log_level="WARNING", sandbox=True)


def count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def seed(app, tokens_file: Path, *, ok: bool = True) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--tokens-file", str(tokens_file)])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.mark.slow
def test_seed_simulates_quickstart_and_prints_tokens_and_urls(app, client, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tokens_file = tmp_path / "demo-tokens.txt"
    tokens_file.write_text("admin bk_from-another-database\n", encoding="utf-8")  # stale: replaced
    output = seed(app, tokens_file)
    quickstart = load("quickstart")
    assert count(engine, "participant") == sum(s.count for s in quickstart.segments)
    assert count(engine, "api_user") == 7  # four tokens, two staff logins, a Perisai agent's
    issued = read(tokens_file)
    assert sorted(issued) == ["admin", "finance", "manager", "worker"]
    assert issued["admin"] != "bk_from-another-database"
    assert tokens_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    for tok in issued.values():
        assert tok in output
    churn = "http://127.0.0.1:8000/api/v1/reports/churn?region=19.71&from=2024-01&to=2024-06&format=html"
    dashboard = "http://127.0.0.1:8000/staff/dashboard?region=19.71&from=2024-01&to=2024-06"
    for url in ("http://127.0.0.1:8000/docs", "http://127.0.0.1:8000/openapi.json", churn, dashboard):
        assert url in output

    # The printed staff logins sign in, and the report link opens in the manager's browser session.
    logins = {
        line.split()[0]: line.split()[1:] for line in output.splitlines() if line.startswith("  ") and "demo-" in line
    }
    assert sorted(logins) == ["agent", "finance", "manager"]
    assert "http://127.0.0.1:8000/agen/masuk" in output
    agent = app.test_client()
    username, password = logins["agent"]
    form = {"login": username, "password": password, "csrf_token": csrf_token(agent, "/agen/masuk")}
    answer = agent.post("/agen/masuk", data=form)
    assert answer.status_code == 302 and answer.headers["Location"] == "/agen/"
    assert agent.get("/agen/").status_code == 200
    browser = app.test_client()
    assert sign_in(browser, *logins["manager"]).status_code == 302
    assert browser.get(churn.removeprefix("http://127.0.0.1:8000")).status_code == 200
    board = browser.get(dashboard.removeprefix("http://127.0.0.1:8000")).get_data(as_text=True)
    assert "Kota Pangkal Pinang" in board and "52,00%" in board  # its UCJ target

    # The printed report URL answers the manager, and shows the simulated half year.
    html = client.get(churn.removeprefix("http://127.0.0.1:8000"), headers=auth(issued["manager"]))
    assert html.status_code == 200 and "Pangkal Pinang" in html.get_data(as_text=True)
    own = client.get("/api/v1/participants", headers=auth(issued["worker"])).get_json()["items"]
    assert len(own) == 1
    debits = client.get(f"/api/v1/participants/{own[0]['id']}/contributions", headers=auth(issued["worker"]))
    assert debits.status_code == 200 and debits.get_json()["total"] >= 6
    clock = client.get("/api/v1/sandbox/clock", headers=auth(issued["admin"])).get_json()
    assert clock["today"] == "2024-06-30"

    # The printed NIK signs in on the workers' pages, with the code the development sender logged.
    nik = next(line.split()[1] for line in output.splitlines() if line.startswith("  NIK "))
    phone = Worker(app, app.test_client())
    with Session(engine) as s:
        number = s.exec(select(Participant.phone).where(Participant.nik == nik)).one()
    phone.sign_in(nik, number)
    assert phone.client.get("/saya/status").status_code == 200

    # A second run simulates nothing more and prints the same tokens.
    output = seed(app, tokens_file)
    assert "2024-06-30" in output
    assert read(tokens_file) == issued
    assert count(engine, "participant") == sum(s.count for s in quickstart.segments)
    assert count(engine, "api_user") == 8  # and the self-service user the worker's sign-in made
    assert sign_in(app.test_client(), *logins["manager"]).status_code == 401  # a new password each run

    # What the demo shows is the scenario's headline: Pangkal Pinang's fall and coverage, within a point.
    assert_headline(app, client, engine, "quickstart")


def test_a_database_with_other_data_is_refused(app, client, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    enrol(client, token(app, "admin"))
    output = seed(app, tmp_path / "demo-tokens.txt", ok=False)
    assert "not a simulation" in output
    assert count(engine, "participant") == 1
