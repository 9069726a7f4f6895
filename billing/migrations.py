"""Alembic, driven from code: the schema comes only from the migrations in ``sql/``."""

from alembic import command
from alembic.config import Config

from billing.sql_files import sql_dir


def alembic_config(database_url: str) -> Config:
    sql = sql_dir()
    cfg = Config()
    cfg.set_main_option("script_location", str(sql))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(sql / "versions"))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
