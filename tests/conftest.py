"""Every data-layer test runs on SQLite and on PostgreSQL, each a fresh database with the real
migrations applied. Tests are isolated by emptying the non-reference tables after each one
(a rollback would not do: the debit workers under test commit from other processes)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

from billing import create_app
from billing.migrations import upgrade
from billing.models import metadata
from billing.settings import Settings

PG_ADMIN_URL = os.environ.get("BILLING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--exclusive",
        choices=("deselect", "only"),
        help="run only the tests marked exclusive, or all but them (./dev.sh test runs the others in "
        "parallel, then these one at a time)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # An exclusive test (one restarts PostgreSQL) would break the tests running beside it.
    parallel = config.getoption("numprocesses", None) not in (None, 0)
    if parallel and config.getoption("exclusive") is None and not hasattr(config, "workerinput"):
        raise pytest.UsageError("with -n, add --exclusive=deselect and run --exclusive=only afterwards, without -n")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The slow tests first, then the groups (one process takes a whole group): on two processes, one
    # started last would leave the other idle at the end.
    items.sort(
        key=lambda item: (item.get_closest_marker("slow") is None, item.get_closest_marker("xdist_group") is None)
    )
    which = config.getoption("exclusive")
    if which is None:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (keep if (item.get_closest_marker("exclusive") is not None) == (which == "only") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Adds this run's counts to the file named by BILLING_TEST_TALLY: ./dev.sh test runs pytest twice
    and prints one total."""
    tally = os.environ.get("BILLING_TEST_TALLY")
    if not tally or hasattr(terminalreporter.config, "workerinput"):  # xdist's workers: the main process counts
        return
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))  # errors in setup or teardown too
    skipped = len(stats.get("skipped", []))
    with open(tally, "a", encoding="utf-8") as f:
        f.write(f"{passed} {failed} {skipped}\n")


def _pg_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not reachable: {reason}")


@contextmanager
def new_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; fails in CI, skips elsewhere, if unreachable."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    # pre-ping: a test may restart the server while the session goes on (tests/debits/test_worker_process.py).
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A throwaway database: its commits need not wait for the disk (a crash of the server is
            # not among what the tests do; a restart flushes everything first).
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:  # any failure to reach or use the server
        admin.dispose()
        _pg_unavailable(str(exc).splitlines()[0])
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgresql_database() -> Iterator[str]:
    with new_pg_database("billing_test") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def _sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'billing.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The database URL of one backend; emptied (but for reference data) after the test."""
    url: str = request.getfixturevalue(f"_{request.param}_database")
    yield url
    empty_database(url)


# A table holding more rows than this is emptied by TRUNCATE: DELETE would check each row's foreign keys.
_DELETE_AT_MOST = 1000
# Per PostgreSQL database: the tables with triggers of their own (append-only tables refuse DELETE).
_pg_triggered: dict[str, set[str]] = {}


def empty_database(url: str) -> None:
    engine = create_engine(url)
    tables = [t for t in reversed(metadata.sorted_tables) if not t.info.get("reference")]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _empty_postgresql(conn, url, [t.name for t in tables])
        else:
            # Append-only tables refuse DELETE by trigger (PostgreSQL's TRUNCATE fires no row trigger):
            # lift the triggers for the wipe and put them back as they were.
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for t in tables:
                conn.execute(t.delete())
            for _, sql in triggers:
                conn.execute(text(sql))
    engine.dispose()


def _empty_postgresql(conn: Connection, url: str, names: list[str]) -> None:
    """Empties the tables that hold rows: a TRUNCATE of every table (new files for each, and their sync
    at commit) costs about ten times the DELETE of a test's few rows. Children come before parents
    in ``names``; the sequences start again at 1, as TRUNCATE's RESTART IDENTITY would have them."""
    if url not in _pg_triggered:
        found = conn.execute(text("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"))
        _pg_triggered[url] = {name.strip('"') for name in found.scalars()}
    probe = " UNION ALL ".join(
        f"SELECT '{n}', (SELECT COUNT(*) FROM (SELECT 1 FROM \"{n}\" LIMIT {_DELETE_AT_MOST}) AS head)" for n in names
    )
    rows: dict[str, int] = dict(conn.execute(text(probe)).all())
    full = [n for n in names if rows[n]]
    by_truncate = [n for n in full if rows[n] >= _DELETE_AT_MOST or n in _pg_triggered[url]]
    if by_truncate:
        # CASCADE: the tables referring to these go too, whatever they hold.
        quoted = ", ".join(f'"{n}"' for n in by_truncate)
        conn.execute(text(f"TRUNCATE {quoted} CASCADE"))
    for n in full:
        if n not in by_truncate:
            conn.execute(text(f'DELETE FROM "{n}"'))
    conn.execute(
        text(
            "SELECT setval(s.oid::regclass, 1, false) FROM pg_class s "
            "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname = ANY(:names)"
        ),
        {"names": names},
    )


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, log_json=False, log_level="WARNING")


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    app = create_app(settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["billing.engine"].dispose()


@pytest.fixture
def engine(app) -> Engine:  # type: ignore[no-untyped-def]
    return app.extensions["billing.engine"]


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """PostgreSQL only: multi-process tests (SKIP LOCKED claims, advisory locks)."""
    url: str = request.getfixturevalue("_postgresql_database")
    yield url
    empty_database(url)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLite only: long in-process simulations whose point is not the database."""
    url: str = request.getfixturevalue("_sqlite_database")
    yield url
    empty_database(url)
