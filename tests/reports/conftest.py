"""The Bangka Belitung scenario is simulated once per backend, in a database of its own, and read by
every scenario test (they add only snapshot rows and API users)."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from billing import create_app
from billing.db import make_engine
from billing.migrations import upgrade
from billing.settings import Settings
from tests.conftest import BACKENDS, PG_ADMIN_URL, _pg_unavailable
from tests.reports import scenario


@dataclass
class Scenario:
    url: str
    engine: Engine
    settings: Settings
    ids: scenario.Ids


def _new_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('bangka') / 'bangka.sqlite3'}", None
    name = f"billing_bangka_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A throwaway database: no need to wait for the disk at each of the services' commits.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:  # any failure to reach or use the server
        _pg_unavailable(str(exc).splitlines()[0])
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), name


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # On several processes (./dev.sh test), the tests reading the scenario all go to one, which builds it once.
    for item in items:
        if "bangka" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("bangka"))


def _build(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    url, pg_name = _new_database(backend, tmp_path_factory)
    upgrade(url)
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    engine = make_engine(url)
    ids = scenario.build(engine, settings)
    yield Scenario(url, engine, settings, ids)
    engine.dispose()
    if pg_name:
        _drop(pg_name)


# One unparametrized session fixture per backend, each kept to the session's end: a parametrized
# session fixture is built again whenever the tests' order switches backend (xdist's order did, and
# the scenario was simulated twice per backend).
@pytest.fixture(scope="session")
def _bangka_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield from _build("sqlite", tmp_path_factory)


@pytest.fixture(scope="session")
def _bangka_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield from _build("postgresql", tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def bangka(request: pytest.FixtureRequest) -> Scenario:
    built: Scenario = request.getfixturevalue(f"_bangka_{request.param}")
    return built


@pytest.fixture
def bangka_app(bangka: Scenario):  # type: ignore[no-untyped-def]
    app = create_app(bangka.settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["billing.engine"].dispose()
