"""A new benchmark database with the real migrations, so the schema measured is the one the code ships."""

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from billing.migrations import upgrade


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    upgrade(url)
