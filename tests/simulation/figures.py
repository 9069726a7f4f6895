"""What a simulated database holds, read back through the report API and the tables."""

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from billing.auth.models import Role
from billing.simulation.scenario import Scenario
from tests.factories import auth, token


def simulate(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["simulate", *args])
    assert result.exit_code == 0, result.output
    return result.output


def reported(app: Flask, client: FlaskClient, scenario: Scenario) -> tuple[dict[str, float], float]:
    """Coverage in the report's last month by region code, and the change of active participants (%)."""
    r = scenario.report
    query = f"region={r.region}&from={r.first}&to={r.last}"
    headers = auth(token(app, Role.manager))
    coverage = client.get(f"/api/v1/reports/coverage?{query}", headers=headers)
    churn = client.get(f"/api/v1/reports/churn?{query}", headers=headers)
    assert coverage.status_code == churn.status_code == 200
    by_region = {
        reg["region"]["code"]: float(reg["months"][-1]["coverage_pct"]) for reg in coverage.get_json()["regions"]
    }
    return by_region, float(churn.get_json()["waterfall"]["change_pct"])


def count(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()
