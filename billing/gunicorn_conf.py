"""gunicorn's configuration for the web app: ``gunicorn -c python:billing.gunicorn_conf billing.wsgi:app``
(``billing serve`` runs exactly that). With ``PROMETHEUS_MULTIPROC_DIR`` in the environment from the
start (``billing serve`` sets it; the Dockerfile and deploy/compose.yaml too), every worker writes
its metrics there and ``/metrics`` sums them all; without it each worker counts alone."""

import os
import shutil
from typing import Any

from billing.reports.pdf import TIMEOUT_SECONDS

bind = os.environ.get("BILLING_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("BILLING_WEB_WORKERS", "4"))
worker_class = "billing.server.ProblemWorker"
# Longer than the slowest request we make on purpose (a report PDF), so gunicorn never kills one.
timeout = TIMEOUT_SECONDS + 30
graceful_timeout = 20
# The app logs every request as a JSON line with its request id; gunicorn's own access log would repeat it.
accesslog = None


def on_starting(_server: Any) -> None:
    # Counts left in the directory by an earlier master are not this one's.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and os.path.isdir(directory):
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
