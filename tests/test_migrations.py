"""The migrations in ``sql/`` and the models agree exactly, on both backends, and run down and up again."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from billing.migrations import alembic_config, upgrade
from billing.models import metadata
from tests.conftest import BACKENDS, new_pg_database


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: these tests take the schema down, so not the shared test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    with new_pg_database("billing_mig") as url:
        yield url


def schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_one_head() -> None:
    # Parallel work must end in one chain: two heads would make "upgrade head" ambiguous.
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads


def test_models_match_migrations(fresh_url: str) -> None:
    upgrade(fresh_url)
    diff = schema_diff(fresh_url)
    assert diff == [], "models and migrations differ:\n" + "\n".join(map(str, diff))
    model_tables = {t.name for t in metadata.sorted_tables}
    assert tables(fresh_url) == model_tables | {"alembic_version"}


def test_downgrade_to_base_and_up_again(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    upgrade(fresh_url)
    command.downgrade(cfg, "base")
    assert tables(fresh_url) <= {"alembic_version"}
    upgrade(fresh_url)
    assert schema_diff(fresh_url) == []
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            # Reference data is seeded again by the migration: Kota Pangkal Pinang and Jambi are back.
            names = dict(conn.execute(text("SELECT code, name FROM region WHERE code IN ('19.71', '15')")).all())
    finally:
        engine.dispose()
    assert names == {"19.71": "Kota Pangkal Pinang", "15": "Jambi"}
