"""The ``billing`` command, through click's runner with the test app."""

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from billing import create_app
from billing.migrations import alembic_config
from billing.settings import Settings
from tests.factories import auth, enrol


def count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_users_create_prints_a_working_token_once(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["users", "create", "--role", "admin", "--name", "Operator"])
    assert result.exit_code == 0, result.output
    tokens = [w for w in result.output.split() if w.startswith("bk_")]
    assert len(tokens) == 1, result.output
    assert result.output.count(tokens[0]) == 1
    assert client.get("/api/v1/participants", headers=auth(tokens[0])).status_code == 200
    with engine.connect() as conn:
        name, role, stored = conn.execute(text("SELECT name, role, token_hash FROM api_user")).one()
    assert (name, role) == ("Operator", "admin")
    assert tokens[0] not in stored  # only the hash is kept


def test_worker_token_is_bound_to_its_participant(app, client) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    admin = runner.invoke(args=["users", "create", "--role", "admin"]).output.split()[-1]
    pid = enrol(client, admin)["id"]
    result = runner.invoke(args=["users", "create", "--role", "worker", "--participant", str(pid)])
    assert result.exit_code == 0, result.output
    worker = result.output.split()[-1]
    listing = client.get("/api/v1/participants", headers=auth(worker)).get_json()
    assert [p["id"] for p in listing["items"]] == [pid]


def test_worker_without_participant_fails_cleanly(app, engine) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--role", "worker"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "--participant" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(args=["users", "create", "--role", "worker", "--participant", "424242"])
    assert result.exit_code == 1
    assert "424242" in result.output
    result = runner.invoke(args=["users", "create", "--role", "admin", "--participant", "1"])
    assert result.exit_code == 1
    result = runner.invoke(args=["users", "create", "--role", "owner"])
    assert result.exit_code == 2  # click's usage error
    assert count(engine, "api_user") == 0


def test_db_upgrade_is_idempotent(app) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'billing.sqlite3'}"
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    engine.dispose()
    app.extensions["billing.engine"].dispose()
    assert set(current) == set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


GOOD_CSV = """region_code,year,potential_workers,coverage_target_pct
15,2024,1312370,53
15.04,2024,98206,52.15
19.71,2024,120000,52
"""

BAD_CSV = """region_code,year,potential_workers,coverage_target_pct
15,2024,1312370,53
15.99,2024,1000,50
15.04,1890,98206,52
19.71,2024,-5,52
"""


def test_import_workforce(app, client, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "workforce.csv"
    csv.write_text(GOOD_CSV, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["regions", "import-workforce", str(csv)])
    assert result.exit_code == 0, result.output
    assert "imported 3 rows" in result.output
    assert count(engine, "region_workforce") == 3
    admin = app.test_cli_runner().invoke(args=["users", "create", "--role", "manager"]).output.split()[-1]
    items = client.get("/api/v1/regions/15.04/workforce", headers=auth(admin)).get_json()["items"]
    assert items == [{"region_code": "15.04", "year": 2024, "potential_workers": 98206, "coverage_target_pct": 52.15}]


def test_import_workforce_bad_csv_imports_nothing(app, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "workforce.csv"
    csv.write_text(BAD_CSV, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["regions", "import-workforce", str(csv)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    # Each bad line is named: unknown region, year out of range, negative count.
    assert "line 3: region_code" in result.output
    assert "line 4: year" in result.output
    assert "line 5: potential_workers" in result.output
    assert "Traceback" not in result.output
    assert count(engine, "region_workforce") == 0

    csv.write_text("code,year\n15,2024\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["regions", "import-workforce", str(csv)])
    assert result.exit_code == 1
    assert "region_code,year,potential_workers,coverage_target_pct" in result.output
    assert count(engine, "region_workforce") == 0

    result = app.test_cli_runner().invoke(args=["regions", "import-workforce", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
