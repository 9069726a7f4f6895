"""``billing serve``: gunicorn in the foreground, as production runs it
(``gunicorn -k billing.server.ProblemWorker 'billing.wsgi:app'``)."""

import json
import os
import shutil
import sys
import tempfile
from typing import Any

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

from billing.errors import PROBLEM_JSON, TYPE_BASE

# Requests gunicorn refuses before the app sees them (its limits: a request line of 4094 bytes, 100
# header fields of 8190 bytes each), by what it raised; anything else it could not parse is a 400.
_REFUSALS: dict[type[Exception], tuple[int, str, str, str]] = {
    http_errors.LimitRequestLine: (
        414,
        "uri_too_long",
        "Alamat terlalu panjang / URI too long",
        "Baris permintaan melebihi batas ukuran. / The request line is over the size limit.",
    ),
    http_errors.LimitRequestHeaders: (
        431,
        "headers_too_large",
        "Header terlalu besar / Request header fields too large",
        "Header permintaan melebihi batas jumlah atau ukuran. / The request headers are over the limit.",
    ),
}
_MALFORMED = (
    400,
    "bad_request",
    "Permintaan tidak valid / Bad request",
    "Permintaan HTTP rusak. / The HTTP request is malformed.",
)


class ProblemWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, answering the requests it cannot parse as problem+json like the API's
    own errors (gunicorn's own answer is an HTML page)."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # Response headers are the app's fault and its own settings problems are 500s: gunicorn's way.
        app_side = (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName)
        if not isinstance(exc, http_errors.ParseException) or isinstance(
            exc, (*app_side, http_errors.ConfigurationProblem)
        ):
            super().handle_error(req, client, addr, exc)
            return
        status, code, title, detail = next(
            (answer for kind, answer in _REFUSALS.items() if isinstance(exc, kind)), _MALFORMED
        )
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = json.dumps(
            {"type": TYPE_BASE + code, "title": title, "status": status, "detail": detail, "code": code}
        ).encode()
        head = (
            f"HTTP/1.1 {status} {title.split(' / ')[-1]}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + body)
        except OSError:
            self.log.debug("Failed to send error message.")


def run(host: str, port: int, workers: int) -> None:
    """Replaces this process with gunicorn under ``billing.gunicorn_conf``. The metrics directory is
    put in the environment first: prometheus-client picks its multiprocess mode when it is imported."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="billing-metrics-")
    print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", flush=True)
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    args = [gunicorn, "-c", "python:billing.gunicorn_conf", "-b", f"{host}:{port}", "-w", str(workers)]
    os.execvp(gunicorn, [*args, "billing.wsgi:app"])
