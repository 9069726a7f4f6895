"""Alembic environment: the URL comes from the caller (``billing db upgrade``) or BILLING_DATABASE_URL."""

from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

from billing.columns import StrEnumType, UtcDateTime
from billing.models import metadata
from billing.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url


def render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    # Enum columns are plain VARCHAR, timestamps plain DateTime in the database: autogenerate writes
    # them as such.
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.impl.length})"
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
        ).connect()
    with connectable as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,  # SQLite needs batch mode to alter tables
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
