"""The sandbox clock API: refused outside a sandbox, and in one it runs the scheduled jobs of each
day it moves over, like ``billing simulate``."""

from billing.auth.models import Role
from billing.settings import Settings
from tests.factories import auth, token
from tests.simulation.figures import count, simulate
from tests.test_roles import assert_problem


def test_refused_outside_a_sandbox(db_url: str) -> None:
    from billing import create_app

    app = create_app(Settings(database_url=db_url, log_json=False, log_level="WARNING", sandbox=False))
    client = app.test_client()
    headers = auth(token(app, Role.admin))
    assert_problem(client.get("/api/v1/sandbox/clock", headers=headers), 403, "not_a_sandbox")
    advance = client.post("/api/v1/sandbox/clock/advance", json={"days": 1}, headers=headers)
    assert_problem(advance, 403, "not_a_sandbox")
    result = app.test_cli_runner().invoke(args=["simulate", "--to", "2024-01-02"])
    assert result.exit_code != 0 and "BILLING_SANDBOX=true" in result.output
    app.extensions["billing.engine"].dispose()


def test_no_simulation_yet_is_a_conflict(app, client) -> None:  # type: ignore[no-untyped-def]
    headers = auth(token(app, Role.admin))
    assert_problem(client.get("/api/v1/sandbox/clock", headers=headers), 409, "no_simulation")


def test_advance_runs_each_day_and_moves_today(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    simulate(app, "--to", "2024-01-10")
    admin = auth(token(app, Role.admin))
    clock = client.get("/api/v1/sandbox/clock", headers=admin).get_json()
    assert clock == {"scenario": "quickstart", "seed": 7, "started_on": "2024-01-01", "today": "2024-01-10"}

    runs = count(engine, "SELECT COUNT(*) FROM job_run WHERE kind = 'debit'")
    resp = client.post("/api/v1/sandbox/clock/advance", json={"days": 3}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["today"] == "2024-01-13"
    assert count(engine, "SELECT COUNT(*) FROM job_run WHERE kind = 'debit'") == runs + 3
    resp = client.post("/api/v1/sandbox/clock/advance", json={"to": "2024-01-20"}, headers=admin)
    assert resp.get_json()["today"] == "2024-01-20"

    # In a sandbox "today" is the clock's, for every API that asks (the report's future months here).
    manager = auth(token(app, Role.manager))
    report = "/api/v1/reports/coverage?region=19.71&from=2024-01&to="
    assert_problem(client.get(report + "2024-02", headers=manager), 422, "invalid_report_period")
    assert client.get(report + "2024-01", headers=manager).status_code == 200


def test_bad_advances_are_422_and_move_nothing(app, client) -> None:  # type: ignore[no-untyped-def]
    simulate(app, "--to", "2024-01-03")
    admin = auth(token(app, Role.admin))
    for body, code in (
        ({"days": 0}, "invalid_input"),
        ({"days": 32}, "invalid_input"),
        ({"days": 2, "to": "2024-01-09"}, "invalid_input"),
        ({"to": "2024-01-02"}, "invalid_clock_target"),
        ({"to": "2024-03-01"}, "invalid_clock_target"),
        ({"minutes": 5}, "invalid_input"),
    ):
        assert_problem(client.post("/api/v1/sandbox/clock/advance", json=body, headers=admin), 422, code)
    assert client.get("/api/v1/sandbox/clock", headers=admin).get_json()["today"] == "2024-01-03"
