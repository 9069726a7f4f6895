"""Engine and session handling. Nothing connects at import time."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine


def make_engine(url: str) -> Engine:
    """``hide_parameters``: bound values (names, NIKs, phone numbers) stay out of SQL logs and out of
    the text of database errors, which end up in logged tracebacks."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def engine() -> Engine:
    return current_app.extensions["billing.engine"]


def session() -> Session:
    """The request's session: opened on first use, closed when the request ends."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def rollback_session() -> None:
    """Undo whatever the request's session holds (after an unexpected error), keeping it usable."""
    s = g.get("db_session")
    if s is not None:
        s.rollback()


def close_session(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """Commit on success, roll back everything on any error: no half-written records."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
