"""Alembic, driven from code: the schema comes only from the migrations in ``sql/``."""

from pathlib import Path

from alembic import command
from alembic.config import Config

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SQL_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(SQL_DIR / "versions"))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
