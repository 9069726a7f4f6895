"""Engine and session handling. Nothing connects at import time.

One owner per transaction: services flush, they never commit. An API request's session is committed
once, when the request succeeds (``end_request``), and rolled back otherwise; a job, a command or a
test takes its transaction from ``unit_of_work``."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, current_app, g
from sqlalchemy import Connection, CursorResult, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
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
    # A connect timeout: an unreachable host fails /readyz and the worker's retry in seconds, not minutes.
    # No JIT: the statements here are short, and on statistics older than a run's writes their estimated
    # cost crosses the JIT threshold; compiling then added 30 ms to a query that runs in 6.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        hide_parameters=True,
        connect_args={"connect_timeout": 10, "options": "-c jit=off"},
    )


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


def end_request(response: Response) -> Response:
    """``after_request``: commit the request's work when it succeeded, roll it back when it was refused.
    A failing commit raises, and the app's error handler answers 500 (this runs again and rolls back)."""
    s = g.get("db_session")
    if s is not None:
        if response.status_code < 400:
            commit(s)
        else:
            s.rollback()
    return response


def commit(s: Session) -> None:
    """Commit, marking a database error of the COMMIT itself (``during_commit``): the server may have
    committed before the connection was lost, so the request's answer must not say nothing was saved.
    The flush goes first, apart: its errors are certain rollbacks."""
    s.flush()
    try:
        s.commit()
    except DBAPIError as exc:
        exc.during_commit = True  # type: ignore[attr-defined]
        raise


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
def unit_of_work(bind: Engine) -> Iterator[Session]:
    """A job's (or a command's) transaction: commit on success, roll back everything on any error."""
    with Session(bind, expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def violates(exc: IntegrityError, *names: str) -> bool:
    """Whether ``exc`` broke one of the named unique constraints: PostgreSQL names the constraint or
    index (``participant_nik_key``); SQLite names the columns (``participant.nik``)."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name in names
    message = str(exc.orig)
    return any(message == f"UNIQUE constraint failed: {name}" for name in names)


def ids_of(result: CursorResult[Any]) -> set[int]:
    """The first column of ``result``'s rows (a RETURNING of ids), read through the driver's own cursor:
    at thousands of rows, SQLAlchemy's row objects cost several times what the set does."""
    try:
        return {row[0] for row in result.cursor.fetchall()}  # type: ignore[union-attr]
    finally:
        result.close()


def lock_rows(conn: Connection, table: str, where: str, params: dict[str, object]) -> None:
    """Serialise, until the transaction ends, everyone who moves money through these rows (``where``
    is SQL over ``table``). PostgreSQL: the rows' locks. SQLite: the database's write lock, taken now
    by a write that changes nothing: pysqlite opens the transaction at its first write, and a
    transaction that starts by writing waits for the lock (busy timeout) and then reads what is
    current, so the checks that follow cannot act on what another writer has since changed."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT 1 FROM {table} WHERE {where} FOR UPDATE"), params)
    else:
        conn.execute(text(f"UPDATE {table} SET id = id WHERE {where}"), params)
