"""A bad setting stops every process at start with one line naming the variable: the real ``billing``
command, the WSGI module and gunicorn serving it, each in its own process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from billing.settings import EXIT_CONFIG, Settings

BIN = Path(sys.executable).parent
SECRET = "config-test-secret-0123456789"


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_")}
    env |= {"BILLING_DATABASE_URL": f"sqlite:///{tmp_path / 'billing.sqlite3'}", "BILLING_SECRET_KEY": SECRET}
    env |= {f"BILLING_{name.upper()}": value for name, value in settings.items()}
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


BAD = [
    ({"gateway": "foo"}, "BILLING_GATEWAY: unknown payment gateway 'foo' (installed: simulator, snap, stripe)"),
    (
        {"database_url": "garbage"},
        "BILLING_DATABASE_URL: not a database URL (e.g. postgresql+psycopg://user:pass@host/db)",
    ),
    (
        {"database_url": "mysql://u:hunter2@db/billing"},
        "BILLING_DATABASE_URL: unknown database backend 'mysql' (known: postgresql, sqlite)",
    ),
    ({"timezone": "Asia/Jakart"}, "BILLING_TIMEZONE: unknown time zone 'Asia/Jakart' (e.g. Asia/Jakarta)"),
    ({"retry_strategy": "daily"}, "BILLING_RETRY_STRATEGY: Input should be 'payday' or 'fixed' (got 'daily')"),
    ({"debit_batch_size": "0"}, "BILLING_DEBIT_BATCH_SIZE: Input should be greater than 0 (got '0')"),
    ({"retry_payday_days": "[25,"}, "BILLING_RETRY_PAYDAY_DAYS: not valid JSON (e.g. [25, 1])"),
    ({"notice_sender": "sms"}, "BILLING_NOTICE_SENDER: unknown notice sender 'sms' (installed: logging)"),
    (
        {"secret_key": "dev-only-change-me"},
        "BILLING_SECRET_KEY: the development default is refused outside a sandbox; "
        "set a long random secret (or BILLING_SANDBOX=true for a sandbox)",
    ),
]


@pytest.mark.parametrize(("settings", "line"), BAD, ids=[next(iter(s)) for s, _ in BAD])
def test_a_bad_setting_stops_serve_with_one_line(tmp_path: Path, settings: dict[str, str], line: str) -> None:
    result = _run([str(BIN / "billing"), "serve", "--port", "1"], _env(tmp_path, **settings), tmp_path)
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stderr.splitlines() == [f"billing: {line}"]
    assert "hunter2" not in result.stderr
    assert not (tmp_path / "billing.sqlite3").exists()  # stopped before touching anything


@pytest.mark.parametrize("command", [["scheduler"], ["worker", "--once"], ["debit", "run"], ["db", "upgrade"]])
def test_every_command_checks_the_settings(tmp_path: Path, command: list[str]) -> None:
    result = _run([str(BIN / "billing"), *command], _env(tmp_path, gateway="foo"), tmp_path)
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stderr.splitlines() == [f"billing: {BAD[0][1]}"]


def test_the_wsgi_app_checks_the_settings(tmp_path: Path) -> None:
    result = _run([sys.executable, "-c", "import billing.wsgi"], _env(tmp_path, timezone="Mars"), tmp_path)
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stderr.splitlines() == ["billing: BILLING_TIMEZONE: unknown time zone 'Mars' (e.g. Asia/Jakarta)"]


def test_gunicorn_stops_instead_of_restarting_workers(tmp_path: Path) -> None:
    args = [str(BIN / "gunicorn"), "billing.wsgi:app", "-b", "127.0.0.1:0", "--workers", "1"]
    result = _run(args, _env(tmp_path, gateway="foo"), tmp_path)
    assert result.returncode == EXIT_CONFIG, result.stderr
    ours = [line for line in result.stderr.splitlines() if line.startswith("billing:")]
    assert ours == [f"billing: {BAD[0][1]}"]
    assert "Traceback" not in result.stderr


def test_the_default_secret_is_accepted_in_a_sandbox(tmp_path: Path) -> None:
    env = _env(tmp_path, sandbox="true")
    del env["BILLING_SECRET_KEY"]
    result = _run([str(BIN / "billing"), "db", "upgrade"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database at head" in result.stdout
    del env["BILLING_SANDBOX"]
    assert _run([str(BIN / "billing"), "db", "upgrade"], env, tmp_path).returncode == EXIT_CONFIG


def test_settings_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValueError, match="unknown payment gateway 'foo'"):
        Settings(gateway="foo")
    assert Settings(log_level="warning", database_url="sqlite://").log_level == "WARNING"
