"""JSON logs with a request id (NIK and phone numbers masked), Prometheus metrics."""

import logging
import re
import sys
import time
import uuid
from typing import Any

import structlog
from flask import Response, g, request
from flask_openapi3 import OpenAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from sqlalchemy import inspect

# 16-digit NIKs (also inside longer text) and Indonesian mobile numbers in any common spelling:
# 0812…, 62812…, +62 812-3456-7890, (0812) 3456 7890, 0812.3456.7890.
_NIK = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(\+62|62|\(?0)[\s.\-]?\(?(8\d(?:[\s.\-)]{0,2}\d){7,10})(?!\d)")
# A caller's X-Request-ID is kept only if it is short and plain: it goes into every log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# Methods counted by name in the metrics; any other is "other", so made-up methods add no series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _mask_phone(m: re.Match[str]) -> str:
    national = re.sub(r"\D", "", m.group(2))
    return f"{m.group(1).lstrip('(')}{national[:3]}******{national[-2:]}"


def redact(text: str) -> str:
    text = _NIK.sub(r"\1********\2", text)
    return _PHONE.sub(_mask_phone, text)


def _redact_processor(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        # Request ids are left whole (a random hex id may hold 16 digits in a row): ours are random, and
        # a caller's that would be masked is replaced (see _start).
        if key == "request_id" or value is None or isinstance(value, bool | float):
            continue
        if isinstance(value, int):
            # A NIK or phone number logged as a number is still personal data.
            masked = redact(str(value))
            if masked != str(value):
                event[key] = masked
        else:
            event[key] = redact(value if isinstance(value, str) else str(value))
    return event


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _redact_processor, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # werkzeug repeats every request line; our own access log carries the request id.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


log = structlog.get_logger("billing.http")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "billing_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "billing_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry
        )


def _user_id() -> Any:
    user = g.get("user")
    if user is None:
        return None
    # The identity map's key, not ``user.id``: reading an expired row would query the database again,
    # which fails in a session whose flush just failed.
    identity = inspect(user).identity
    return identity[0] if identity else None


def init_app(app: OpenAPI) -> None:
    metrics = Metrics()
    app.extensions["billing.metrics"] = metrics

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        plain = _REQUEST_ID.fullmatch(given) and redact(given) == given
        g.request_id = given if plain else uuid.uuid4().hex
        g.started = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def _finish(resp: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        # Labels from fixed sets only: the route template, never the URL asked for.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        metrics.requests.labels(method, route, str(resp.status_code)).inc()
        metrics.latency.labels(route).observe(elapsed)
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        log.info(
            "request",
            method=request.method,
            path=request.path,
            status=resp.status_code,
            ms=round(elapsed * 1000, 1),
            user=_user_id(),
        )
        structlog.contextvars.clear_contextvars()
        return resp

    @app.get("/metrics", doc_ui=False)
    def _metrics() -> Response:
        from billing import db
        from billing.metrics import exposition

        return Response(exposition(metrics.registry, db.engine()), mimetype=CONTENT_TYPE_LATEST)
