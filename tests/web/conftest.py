"""The app served on 127.0.0.1 for the browser tests (SQLite)."""

from collections.abc import Iterator
from typing import Any

import pytest

from billing import create_app
from billing.settings import Settings
from tests.web.live import serve


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    app = create_app(Settings(database_url=sqlite_url, log_json=False, log_level="WARNING"))
    with serve(app) as base:
        yield base, app
