"""``pip install .`` runs the service: the wheel, installed into a new virtualenv outside the checkout,
migrates a new database and builds a report (both read ``sql/`` from the installed package)."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_the_installed_wheel_migrates_and_reports(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # No build isolation: hatchling comes from the test tools, so nothing is fetched.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT])
    (wheel,) = dist.glob("bpu_autodebit-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # The dependencies come from the test environment's site-packages, named as a plain path: the
    # .pth files there (among them the editable install's, pointing at this checkout) stay unread.
    (site / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel])

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "PYTHON"))}
    env |= {
        "BILLING_DATABASE_URL": f"sqlite:///{work / 'billing.sqlite3'}",
        "BILLING_LOG_LEVEL": "WARNING",
        "BILLING_SECRET_KEY": "packaging-test-secret-key-0123456789",
    }
    found = _run(
        [python, "-c", "import billing, billing.sql_files as s; print(billing.__file__); print(s.sql_dir())"],
        cwd=work,
        env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in found), found

    billing = venv / "bin" / "billing"
    assert "database at head" in _run([billing, "db", "upgrade"], cwd=work, env=env).stdout
    args = ["report", "coverage", "--region", "19.71", "--from", "2024-01", "--to", "2024-03"]
    out = _run([billing, *args, "--today", "2024-06-01", "--format", "json"], cwd=work, env=env).stdout
    report = json.loads(out)
    assert report["report"] == "coverage"
    assert report["region"]["code"] == "19.71"
    assert [m["month"] for m in report["regions"][0]["months"]] == ["2024-01", "2024-02", "2024-03"]
