"""What the browser tests share: the app served on 127.0.0.1 in a thread (on a sandbox clock, for the
phone pages); in a page, watch it for errors, sign in through the form, take a phone's screenshot."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from billing import create_app
from billing.settings import Settings
from billing.simulation import clock
from tests.factories import STAFF_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "staff"
PHONE = {"width": 360, "height": 740}


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """The base URL while it serves; the app's engine is disposed afterwards."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        app.extensions["billing.engine"].dispose()


@contextmanager
def sandbox(database_url: str, day: date) -> Iterator[tuple[str, Flask]]:
    """A sandbox app whose clock stands on ``day``, served: its base URL and the app."""
    app = create_app(Settings(database_url=database_url, sandbox=True, log_json=False, log_level="WARNING"))
    clock.save(app.extensions["billing.engine"], "test", 0, day, day)
    with serve(app) as base:
        yield base, app


def phone_shot(page: Any, path: Path) -> None:
    """A full-page screenshot of a phone's page, which must not scroll sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{path.name} scrolls sideways"
    page.screenshot(path=str(path), full_page=True)


def fill_enrolment(page: Any) -> None:
    """The enrolment form (the worker's own, or an agent's) for Siti Aminah, a market trader in Kota
    Pangkal Pinang, a woman (day 55 of her NIK is 15 + 40)."""
    page.fill("#nik", "1971015508950001")
    page.fill("#full_name", "Siti Aminah")
    page.fill("#phone", "0812 3456 7890")
    page.select_option("#region_code", "19.71")
    page.select_option("#ecosystem", "pasar")
    page.select_option("#sector_category", "perdagangan")
    page.fill("#sector", "pedagang sayur")


def watch(page: Any) -> list[str]:
    """Console errors (a CSP violation is one), uncaught page errors, and failed loads (but the report
    pages' favicon, which no page of ours links)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return problems


def sign_in(page: Any, login: str, password: str = STAFF_PASSWORD) -> None:
    """Fill in the sign-in form the page shows, and wait to leave it."""
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("form[action='/staff/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login" not in url)


def sign_in_at(page: Any, base: str, login: str, shot: str | None = None) -> None:
    """Open the workspace signed out, land on the sign-in page (its screenshot when asked), sign in."""
    page.goto(f"{base}/staff/")
    assert page.url.startswith(f"{base}/staff/login")
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    sign_in(page, login)
    assert page.url == f"{base}/staff/"
