"""One typed settings object, read from ``BILLING_*`` environment variables. Every value is checked
when the settings are read; a process that starts reads them with ``for_process()``, which also
refuses the development secret key outside a sandbox (tests build ``Settings(...)`` themselves)."""

import logging
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from billing import plugins

INSTANCE_DIR = Path.cwd() / "instance"
ENV_PREFIX = "BILLING_"
DEV_SECRET_KEY = "dev-only-change-me"
DATABASE_BACKENDS = ("postgresql", "sqlite")
# The exit status of a process refused its settings: gunicorn's own for an app that failed to load, so
# a gunicorn master whose workers exit with it stops instead of restarting them.
EXIT_CONFIG = 4
# Values never echoed in an error message.
_SECRET_FIELDS = {"database_url", "secret_key"}


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'billing.sqlite3'}"


def _database_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("not a database URL (e.g. postgresql+psycopg://user:pass@host/db)") from None
    if url.get_backend_name() not in DATABASE_BACKENDS:
        raise ValueError(f"unknown database backend {url.get_backend_name()!r} (known: {', '.join(DATABASE_BACKENDS)})")
    try:
        url.get_dialect().import_dbapi()
    except (ArgumentError, ImportError):
        raise ValueError(
            f"database driver {url.get_driver_name()!r} is not installed (use postgresql+psycopg or sqlite)"
        ) from None
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
    return value


def _plugin(group: str, kind: str) -> AfterValidator:
    """A name registered in the entry-point group: a third party's plug-in counts as installed."""

    def check(value: str) -> str:
        installed = plugins.names(group)
        if value not in installed:
            raise ValueError(f"unknown {kind} {value!r} (installed: {', '.join(installed) or 'none'})")
        return value

    return AfterValidator(check)


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in logging.getLevelNamesMapping():
        raise ValueError(f"unknown log level {value!r} (DEBUG, INFO, WARNING, ERROR or CRITICAL)")
    return level


DayOfMonth = Annotated[int, Field(ge=1, le=31)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: Annotated[str, AfterValidator(_database_url)] = Field(default_factory=_default_database_url)
    gateway: Annotated[str, _plugin("billing.gateways", "payment gateway")] = "simulator"
    secret_key: str = DEV_SECRET_KEY
    timezone: Annotated[str, AfterValidator(_timezone)] = "Asia/Jakarta"
    # The largest request body the API accepts; larger ones get 413.
    max_body_bytes: PositiveInt = 256 * 1024
    # The largest file an upload (a settlement file) may be; larger ones get 413. At 8 MiB (some 190,000
    # bank lines) an import ends well inside gunicorn's timeout; a bigger file goes by the command.
    max_upload_bytes: PositiveInt = 8 * 1024 * 1024
    log_level: Annotated[str, BeforeValidator(_log_level)] = "INFO"
    log_json: bool = True
    # A sandbox runs on a simulated clock (``billing simulate``, the sandbox clock API); never production.
    sandbox: bool = False

    # Debit engine. Defaults follow shared/DOMAIN.md; every number is a policy setting.
    retry_strategy: Literal["payday", "fixed"] = "payday"  # aimed at paydays, or every retry_fixed_days
    retry_max_attempts: PositiveInt = 4
    retry_payday_days: tuple[DayOfMonth, ...] = Field(default=(25, 1), min_length=1)
    retry_before_due_day: DayOfMonth = 14
    retry_fixed_days: PositiveInt = 3
    transient_retry_minutes: PositiveInt = 10
    arrears_months: PositiveInt = 3
    debit_batch_size: PositiveInt = 2000
    lease_seconds: PositiveInt = 120
    gateway_concurrency: PositiveInt = 32
    # A worker's or scheduler's own /metrics (the web app serves its own at /metrics): off unless set.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_address: str = "127.0.0.1"
    # A standby scheduler tries to become the active one this often; the active one checks its lock as often.
    scheduler_standby_seconds: PositiveFloat = 5.0
    # Reports: the headless Chromium that prints the PDF (Debian's "chromium" package).
    report_chromium: str = "chromium"
    # Notices to workers: the upcoming-debit reminder comes this many days before the debit day.
    notice_days_before_debit: PositiveInt = 2
    notice_sender: Annotated[str, _plugin("billing.notice_senders", "notice sender")] = "logging"
    notice_send_limit: PositiveInt = 5000  # notices one send-notices run tries at most
    notice_max_attempts: PositiveInt = 6
    notice_retry_minutes: PositiveInt = 5  # the first retry's delay; it doubles after each failed send

    # The staff workspace (/staff): browser sessions and sign-in throttling.
    staff_idle_minutes: PositiveInt = 30  # a session ends after this long without a request
    staff_session_hours: PositiveInt = 12  # and this long after sign-in, whatever the activity
    staff_cookie_secure: bool = False  # always mark the cookies Secure (they are anyway on an HTTPS request)
    staff_login_max_failures: PositiveInt = 5  # wrong passwords in a row that lock an account
    staff_login_ip_max_failures: PositiveInt = 20  # failed sign-ins from one address that lock it out
    staff_lockout_minutes: PositiveInt = 15
    # Casework: a waiver of more than this many rupiah needs a second finance user's approval (maker-checker).
    # The default lets a month of JKK and JKM (Rp 16,800 at the lowest bracket) be waived at once; a month
    # with JHT or of a higher bracket needs two people. 0: every waiver needs approval.
    waiver_approval_above: NonNegativeInt = 25_000

    # Worker self-service (/saya): sign-in codes sent to the registered phone, and the browser session.
    otp_sender: Annotated[str, _plugin("billing.otp_senders", "OTP sender")] = "console"
    otp_ttl_minutes: PositiveInt = 5  # a code expires this long after it was sent
    otp_max_attempts: PositiveInt = 5  # wrong tries of one code before it is dead
    otp_sends_per_hour: PositiveInt = 3  # codes sent per NIK or phone number in an hour
    otp_ip_sends_per_hour: PositiveInt = 20  # codes asked for from one address in an hour
    otp_lockout_failures: PositiveInt = 10  # wrong codes for one NIK or phone number that lock it
    otp_lockout_minutes: PositiveInt = 60
    worker_idle_minutes: PositiveInt = 30  # a worker's session ends after this long without a request
    worker_session_hours: PositiveInt = 12

    # Perisai agents (/agen): their commission on the contributions they collect in cash, in percent (7.5%
    # in the early terms; terms change: each collection keeps the rate it earned).
    agent_commission_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal("7.5")


class ConfigError(Exception):
    """Settings no process may start with; the message is one line naming the variable."""


def _variable(field: object) -> str:
    return f"{ENV_PREFIX}{str(field).upper()}"


def _describe(exc: ValidationError) -> str:
    problems: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        field = str(err["loc"][0])
        if field in problems:  # the first error of a variable says enough
            continue
        if err["type"] == "value_error":
            message = str(err["ctx"]["error"])  # our own validators' words, without pydantic's prefix
        else:
            message = err["msg"]
            if field not in _SECRET_FIELDS:
                message += f" (got {err['input']!r})"
        position = "".join(f"[{p}]" for p in err["loc"][1:])
        problems[field] = f"{_variable(field)}{position}: {message}"
    return "; ".join(problems.values())


def _checked() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except SettingsError as exc:  # a list setting that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        raise ConfigError(f"{_variable(field[1] if field else '?')}: not valid JSON (e.g. [25, 1])") from None
    if not settings.sandbox and settings.secret_key in (DEV_SECRET_KEY, ""):
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY: the development default is refused outside a sandbox; "
            "set a long random secret (or BILLING_SANDBOX=true for a sandbox)"
        )
    return settings


def for_process() -> Settings:
    """The settings of a process that is starting (``billing …``, the WSGI app). Bad ones end it with
    one line on stderr naming the variable, not a traceback at the first request or job."""
    try:
        return _checked()
    except ConfigError as exc:
        print(f"billing: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_CONFIG) from None


def current() -> Settings:
    """The running app's settings."""
    from flask import current_app

    return current_app.extensions["billing.settings"]


def today() -> date:
    """Today in the service's timezone, or the sandbox clock's day in a sandbox."""
    from billing import db
    from billing.simulation.clock import effective_today

    return effective_today(current(), db.engine())
