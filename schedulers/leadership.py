"""One active scheduler at a time. Any number of ``billing scheduler`` processes may run (on any hosts);
the one holding the lock schedules, the others wait as standbys and take over when it dies.

- PostgreSQL: a session-level advisory lock held by a connection of its own. The lock lives as long
  as that connection: a scheduler that dies, or loses the database, loses it, and a standby's next
  try gets it.
- SQLite (one host by nature): an exclusive ``flock`` on a file beside the database file; an
  in-memory database has only this process."""

import fcntl
import hashlib
import os
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError


def lock_key(namespace: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``namespace`` (hand-picked numbers collide)."""
    return int.from_bytes(hashlib.sha256(namespace.encode()).digest()[:8], "big", signed=True)


SCHEDULER_LOCK = lock_key("billing.scheduler.active")


class Leadership(Protocol):
    def acquire(self) -> bool:
        """Try once, without waiting; True when this process is now the active one."""
        ...

    def held(self) -> bool:
        """Whether this process still holds it (False once the lock's connection or file is gone)."""
        ...

    def release(self) -> None: ...


class PostgresLeadership:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.held()
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": SCHEDULER_LOCK}).scalar())
        except DBAPIError:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            # The server restarted or the connection broke: the lock went with it.
            self._conn.invalidate()
            self._conn.close()
            self._conn = None
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK})
        except DBAPIError:
            self._conn.invalidate()
        self._conn.close()
        self._conn = None


class FileLeadership:
    def __init__(self, path: str) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        f = open(self._path, "ab")  # noqa: SIM115 - held open for as long as this process leads
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return False
        self._file = f
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class SoleLeadership:
    """An in-memory database: no other process can share it."""

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def for_engine(engine: Engine) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return SoleLeadership()
    return FileLeadership(os.path.abspath(database) + ".scheduler.lock")
