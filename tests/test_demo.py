"""``billing demo seed``: seeds an empty database once, and prints the same working tokens every run."""

from pathlib import Path

from sqlalchemy import text

from billing.demo import scenario
from billing.demo.tokens import read
from tests.factories import auth, enrol, token


def count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def seed(app, tokens_file: Path) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--tokens-file", str(tokens_file)])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_enrols_the_demo_population_and_prints_tokens(app, client, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tokens_file = tmp_path / "demo-tokens.txt"
    output = seed(app, tokens_file)
    assert count(engine, "participant") == len(scenario.PARTICIPANTS) == 8
    assert count(engine, "api_user") == 4
    issued = read(tokens_file)
    assert sorted(issued) == ["admin", "finance", "manager", "worker"]
    assert tokens_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    for tok in issued.values():
        assert tok in output
    for url in ("http://127.0.0.1:8000/docs", "http://127.0.0.1:8000/openapi.json", "http://127.0.0.1:8000/healthz"):
        assert url in output

    people = client.get("/api/v1/participants?per_page=50", headers=auth(issued["admin"])).get_json()["items"]
    assert sorted({p["region_code"] for p in people}) == ["15.04", "15.07", "15.09", "15.71", "19.71"]
    assert sum(p["region_code"] == "19.71" for p in people) == 4
    own = client.get("/api/v1/participants", headers=auth(issued["worker"])).get_json()["items"]
    assert [(p["nik"], p["full_name"]) for p in own] == [(scenario.WORKER_NIK, "Siti Aminah")]
    assert client.get("/api/v1/participants", headers=auth(issued["finance"])).status_code == 200
    assert client.get("/api/v1/participants", headers=auth(issued["manager"])).status_code == 200


def test_second_run_changes_nothing(app, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tokens_file = tmp_path / "demo-tokens.txt"
    seed(app, tokens_file)
    first = read(tokens_file)
    output = seed(app, tokens_file)
    assert "not seeding" in output
    assert read(tokens_file) == first
    assert count(engine, "participant") == 8
    assert count(engine, "api_user") == 4


def test_tokens_the_database_does_not_know_are_reissued(app, client, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tokens_file = tmp_path / "demo-tokens.txt"
    tokens_file.write_text("admin bk_from-another-database\nworker bk_also-stale\n", encoding="utf-8")
    seed(app, tokens_file)
    issued = read(tokens_file)
    assert issued["admin"] != "bk_from-another-database"
    assert client.get("/api/v1/participants", headers=auth(issued["admin"])).status_code == 200


def test_a_database_with_data_is_not_seeded(app, client, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    existing = enrol(client, token(app, "admin"))
    output = seed(app, tmp_path / "demo-tokens.txt")
    assert "not seeding" in output
    assert count(engine, "participant") == 1
    # The worker token goes to the participant that is there.
    worker = read(tmp_path / "demo-tokens.txt")["worker"]
    own = client.get("/api/v1/participants", headers=auth(worker)).get_json()["items"]
    assert [p["id"] for p in own] == [existing["id"]]
