"""Each shipped scenario, simulated with its seed, reproduces the real figures it was calibrated on
within one percentage point, read from the report API. The reports never read the scenario: the
figures come from debits attempted, failed, retried and lapsed by the engine.

Each runs once, to keep the suite short (the backends give the very same figures): quickstart's
headline is checked by tests/test_demo.py on the simulation `billing demo seed` runs (SQLite, the demo's
database); the two big scenarios, a minute or two each, here on PostgreSQL, the production database."""

from collections.abc import Iterator

import pytest
from flask import Flask

from billing import create_app
from billing.settings import Settings
from billing.simulation.scenario import load, shipped
from tests.simulation.figures import count, reported, simulate

HEADLINED = [name for name in shipped() if load(name).headline is not None]


def test_every_shipped_scenario_has_headline_figures() -> None:
    assert sorted(HEADLINED) == ["jambi-2024", "pangkalpinang-2024", "quickstart"]


@pytest.fixture
def pg_app(pg_url: str) -> Iterator[Flask]:
    app = create_app(Settings(database_url=pg_url, log_json=False, log_level="WARNING", sandbox=True))
    yield app
    app.extensions["billing.engine"].dispose()


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in HEADLINED if n != "quickstart"])
def test_scenario_reproduces_its_headline_on_postgresql(pg_app: Flask, name: str) -> None:
    simulate(pg_app, "--scenario", name)
    assert_headline(pg_app, pg_app.test_client(), pg_app.extensions["billing.engine"], name)


def assert_headline(app, client, engine, name: str) -> None:  # type: ignore[no-untyped-def]
    """The database holds scenario ``name`` simulated with its own seed over its whole period."""
    scenario = load(name)
    headline = scenario.headline
    assert headline is not None

    coverage, change = reported(app, client, scenario)
    print(f"\n{name}: coverage {coverage}, change of active participants {change}%")
    for code, real in headline.coverage_pct.items():
        assert coverage[code] == pytest.approx(real, abs=1.0), code
    if headline.change_pct is not None:
        assert change == pytest.approx(headline.change_pct, abs=1.0)

    # The engine did it: debits failed and were retried, memberships lapsed, the books balance.
    assert count(engine, "SELECT COUNT(*) FROM debit_attempt WHERE status = 'failed'") > 0
    assert count(engine, "SELECT COUNT(*) FROM debit_attempt WHERE trigger = 'retry' AND status = 'succeeded'") > 0
    assert count(engine, "SELECT COUNT(*) FROM coverage_event WHERE kind = 'entered_arrears'") > 0
    assert count(engine, "SELECT COUNT(*) FROM job_run WHERE kind = 'debit'") >= 89
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
