"""Signing in with Flask's test client: the CSRF token read from the form, a clock the test moves."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.factories import STAFF_PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def use_clock(app: Any) -> Clock:
    clock = Clock()
    app.extensions["billing.now"] = clock
    return clock


def csrf_token(client: FlaskClient, path: str = "/staff/login") -> str:
    page = client.get(path)
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return found[1]


def sign_in(client: FlaskClient, login: str, password: str = STAFF_PASSWORD, **form: str) -> Any:
    return client.post(
        "/staff/login", data={"login": login, "password": password, "csrf_token": csrf_token(client), **form}
    )
