"""What the browser tests do in a page: watch it for errors, sign in through the form."""

from pathlib import Path
from typing import Any

from tests.factories import STAFF_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "staff"


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
