"""Debian's Chromium for the browser tests, driven by Playwright (no browser download: the system one).
Without it the tests are skipped, unless CI=true, when they fail (as PostgreSQL's do)."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def require_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        reason = f"{CHROMIUM} is missing (Debian package chromium; ./dev.sh test installs it)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@contextmanager
def browser() -> Iterator[Any]:
    require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the test extra is not installed
        if IN_CI:
            pytest.fail(f"playwright is not installed: {exc}", pytrace=False)
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()
