"""One typed settings object, read from ``BILLING_*`` environment variables."""

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

INSTANCE_DIR = Path.cwd() / "instance"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'billing.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    gateway: str = "simulator"
    secret_key: str = "dev-only-change-me"
    timezone: str = "Asia/Jakarta"
    # The largest request body the API accepts; larger ones get 413.
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"
    log_json: bool = True
    # A sandbox runs on a simulated clock (``billing simulate``, the sandbox clock API); never production.
    sandbox: bool = False

    # Debit engine. Defaults follow shared/DOMAIN.md; every number is a policy setting.
    retry_strategy: str = "payday"  # "payday" (aimed at paydays) or "fixed"
    retry_max_attempts: int = 4
    retry_payday_days: tuple[int, ...] = (25, 1)
    retry_before_due_day: int = 14
    retry_fixed_days: int = 3
    transient_retry_minutes: int = 10
    arrears_months: int = 3
    debit_batch_size: int = 2000
    lease_seconds: int = 120
    gateway_concurrency: int = 32
    # Reports: the headless Chromium that prints the PDF (Debian's "chromium" package).
    report_chromium: str = "chromium"
    # Notices to workers: the upcoming-debit reminder comes this many days before the debit day.
    notice_days_before_debit: int = 2
    notice_sender: str = "logging"  # a name in the "billing.notice_senders" entry-point group
    notice_send_limit: int = 5000  # notices one send-notices run tries at most
    notice_max_attempts: int = 6
    notice_retry_minutes: int = 5  # the first retry's delay; it doubles after each failed send


def current() -> Settings:
    """The running app's settings."""
    from flask import current_app

    return current_app.extensions["billing.settings"]


def today() -> date:
    """Today in the service's timezone, or the sandbox clock's day in a sandbox."""
    from billing import db
    from billing.simulation.clock import effective_today

    return effective_today(current(), db.engine())
