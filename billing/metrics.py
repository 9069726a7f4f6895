"""What an operator of the debit engine watches, in every process (web, worker, scheduler).

- What this process did: counters and histograms below (attempts by outcome and failure code, rupiah
  collected, batch and gateway-call seconds, webhooks, notices, jobs). Under gunicorn they are shared
  through prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``billing
  serve``), so one scrape sums every worker instead of answering for a random one.
- The engine's state, read from the database at each scrape (``EngineState``): batches queued, leased
  and with an expired lease, unknown outcomes and the oldest one's age, runs not finished and the oldest
  one's age, the last finished debit run's duration, notices waiting. The same from any process, and
  right again after a restart.

A worker or scheduler serves its metrics on a port of its own (``BILLING_METRICS_PORT``, bound to
``BILLING_METRICS_ADDRESS``, 127.0.0.1 unless told otherwise)."""

import os
from collections import Counter as Counter_
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import compress
from operator import itemgetter

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from billing.debits.models import RunStatus

ATTEMPTS = Counter(
    "billing_debit_attempts", "Debit attempts resolved, by outcome and failure code", ["outcome", "failure_code"]
)
COLLECTED = Counter("billing_debit_collected_rupiah", "Rupiah collected by successful debits")
BATCH_SECONDS = Histogram(
    "billing_debit_batch_seconds", "Time to work one batch", buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
)
GATEWAY_SECONDS = Histogram(
    "billing_gateway_call_seconds",
    "Gateway calls (charge_many: one slice of charges)",
    ["gateway", "operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
WEBHOOKS = Counter("billing_webhooks", "Gateway webhooks received, by what became of them", ["gateway", "status"])
NOTICES = Counter("billing_notices", "Notices to workers, by delivery outcome", ["outcome"])
JOBS = Counter("billing_jobs", "Scheduled job runs, by job and outcome", ["job", "outcome"])
SCHEDULER_ACTIVE = Gauge("billing_scheduler_active", "1 while this scheduler process is the active one")


def count_results(results: Sequence[tuple[str, str | None]], amounts: Sequence[int]) -> None:
    """The (outcome, failure code) of each resolved attempt (a ``ChargeResult`` begins with them) and
    the attempts' amounts. Summed here first, with no Python per attempt: a labelled counter's
    increment takes a lock, and a batch holds thousands of attempts."""
    for (outcome, code), n in Counter_(map(_OUTCOME, results)).items():
        ATTEMPTS.labels(outcome, code or "").inc(n)
    collected = sum(compress(amounts, map("succeeded".__eq__, map(_FIRST, results))))
    if collected:
        COLLECTED.inc(collected)


_OUTCOME = itemgetter(0, 1)
_FIRST = itemgetter(0)


_COMPLETED = RunStatus.completed.value

_STATE = {
    "batches": """SELECT CASE WHEN status = 'queued' THEN 'queued'
                               WHEN lease_expires_at < :now THEN 'expired' ELSE 'leased' END, COUNT(*)
                  FROM debit_batch WHERE status <> 'done' GROUP BY 1""",
    "unknown": """SELECT COUNT(*), MIN(a.created_at) FROM debit_unsettled u JOIN debit_attempt a ON a.id = u.attempt_id
                  WHERE a.status = 'unknown'""",
    "runs": f"SELECT kind, COUNT(*), MIN(started_at) FROM job_run WHERE status <> '{_COMPLETED}' GROUP BY kind",
    "last_run": f"""SELECT started_at, finished_at FROM job_run WHERE kind = 'debit' AND status = '{_COMPLETED}'
                   ORDER BY finished_at DESC LIMIT 1""",
    "notices": "SELECT COUNT(*) FROM notice WHERE sent_at IS NULL",
}


def _age(since: object, now: datetime) -> float:
    if since is None:
        return 0.0
    if isinstance(since, str):  # SQLite hands back text
        since = datetime.fromisoformat(since)
    assert isinstance(since, datetime)
    return max(0.0, (now - (since if since.tzinfo else since.replace(tzinfo=UTC))).total_seconds())


class EngineState(Collector):
    """Gauges read from the database at scrape time; ``billing_database_up`` 0 when it cannot be read."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        up = GaugeMetricFamily("billing_database_up", "Whether the database answered this scrape")
        try:
            with self._engine.connect() as conn:
                read = {name: conn.execute(text(sql), {"now": now}).all() for name, sql in _STATE.items()}
        except DBAPIError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        batches = GaugeMetricFamily("billing_debit_batches", "Debit batches not done, by state", labels=["state"])
        counts = {str(state): int(n) for state, n in read["batches"]}
        for state in ("queued", "leased", "expired"):
            batches.add_metric([state], counts.get(state, 0))
        yield batches
        (unknown, oldest), *_ = read["unknown"]
        yield GaugeMetricFamily("billing_debit_unknown_attempts", "Debit attempts with an unknown outcome", unknown)
        yield GaugeMetricFamily(
            "billing_debit_unknown_oldest_seconds", "Age of the oldest unknown outcome", _age(oldest, now)
        )
        runs = GaugeMetricFamily("billing_job_runs_unfinished", "Job runs not finished, by kind", labels=["kind"])
        ages = GaugeMetricFamily(
            "billing_job_run_oldest_unfinished_seconds", "Age of the oldest unfinished run", labels=["kind"]
        )
        unfinished = {str(kind): (int(n), started) for kind, n, started in read["runs"]}
        for kind in ("generate", "debit", "lapse"):
            n, started = unfinished.get(kind, (0, None))
            runs.add_metric([kind], n)
            ages.add_metric([kind], _age(started, now))
        yield runs
        yield ages
        last = GaugeMetricFamily("billing_debit_last_run_seconds", "Duration of the last finished debit run")
        if read["last_run"]:
            started, finished = read["last_run"][0]
            last.add_metric([], _age(started, now) - _age(finished, now))
        yield last
        yield GaugeMetricFamily("billing_notices_waiting", "Notices not sent yet", read["notices"][0][0])


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(own: CollectorRegistry, engine: Engine) -> bytes:
    """The web app's ``/metrics``: every gunicorn worker's counters (multiprocess mode) or this
    process's, and the engine's state."""
    state = CollectorRegistry(auto_describe=False)
    state.register(EngineState(engine))
    if multiprocess_dir():
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # the HTTP metrics' values live in the same files
        return generate_latest(merged) + generate_latest(state)
    return generate_latest(own) + generate_latest(REGISTRY) + generate_latest(state)


def serve(port: int, address: str, engine: Engine) -> None:
    """A worker's or scheduler's own metrics endpoint, in a background thread."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in (REGISTRY, EngineState(engine)):
        registry.register(collector)
    start_http_server(port, address, registry=registry)
