"""The report queries, one ``.sql`` file each in ``sql/reports/``, loaded by name. A file
``name.postgresql.sql`` beside ``name.sql`` replaces it on PostgreSQL (none needs one yet)."""

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, text
from sqlalchemy.sql.elements import TextClause

from billing.sql_files import sql_dir


@lru_cache(maxsize=64)
def statement(name: str, dialect: str) -> TextClause:
    reports = sql_dir() / "reports"
    own = reports / f"{name}.{dialect}.sql"
    path = own if own.exists() else reports / f"{name}.sql"
    # Comment lines go: text() would take a ":name" in them for a parameter.
    lines = path.read_text(encoding="utf-8").splitlines()
    sql = text("\n".join(line for line in lines if not line.lstrip().startswith("--")))
    if ":ids" in sql.text:
        sql = sql.bindparams(bindparam("ids", expanding=True))
    return sql


def run(conn: Connection, name: str, **params: Any) -> Sequence[Row[Any]]:
    return conn.execute(statement(name, conn.dialect.name), params).all()


def execute(conn: Connection, name: str, **params: Any) -> None:
    conn.execute(statement(name, conn.dialect.name), params)


def as_date(value: object) -> date:
    """SQLite hands dates back as ISO text."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))
