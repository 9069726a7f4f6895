"""The app served on 127.0.0.1 for the browser tests (SQLite)."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from billing import create_app
from billing.settings import Settings


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    app = create_app(Settings(database_url=sqlite_url, log_json=False, log_level="WARNING"))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        app.extensions["billing.engine"].dispose()
