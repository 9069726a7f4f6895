"""What operators rely on: health and readiness, metrics, the API document and its UI, request ids,
and logs that never carry a NIK or a phone number in clear."""

import io
import json
import logging
import random
import re
import string
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from billing import create_app
from billing.auth.models import Role
from billing.observability import redact
from billing.settings import Settings
from tests.factories import auth, participant_body, token


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_at_head(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"status": "ok", "database": "ok", "migrations": "head"}


def test_readyz_when_the_database_is_unreachable() -> None:
    # Port 1 on the loopback: nothing listens, the connection is refused at once.
    app = create_app(Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere", log_level="CRITICAL"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unreachable"
    assert app.test_client().get("/healthz").status_code == 200  # alive, just not ready
    app.extensions["billing.engine"].dispose()


def test_readyz_when_migrations_are_behind(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}", log_level="CRITICAL"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable", "database": "ok", "migrations": "behind", "current": []}
    app.extensions["billing.engine"].dispose()


def _series(client) -> dict[tuple[str, ...], float]:  # type: ignore[no-untyped-def]
    """The request counter's series: (method, route, status) -> count."""
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (sample.labels["method"], sample.labels["route"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "billing_http_requests"
        for sample in family.samples
        if sample.name == "billing_http_requests_total"
    }


def test_metrics_count_requests(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/v1/participants")  # 401
    client.get("/api/v1/participants/7")  # 401
    series = _series(client)
    assert series[("GET", "/healthz", "200")] == 2
    assert series[("GET", "/api/v1/participants", "401")] == 1
    assert series[("GET", "/api/v1/participants/<int:participant_id>", "401")] == 1  # the route, not the URL
    assert "billing_http_request_seconds_bucket" in client.get("/metrics").get_data(as_text=True)


def test_made_up_methods_and_urls_add_no_series(app, client) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)

    def noise() -> None:  # 40 requests, each with a new method or URL
        for i in range(10):
            client.open("/healthz", method="".join(rng.choices(string.ascii_uppercase, k=6)))
            client.open("/api/v1/participants", method="".join(rng.choices(string.ascii_uppercase, k=7)))
            client.get(f"/{rng.randbytes(6).hex()}/{i}")
            client.post(f"/api/v1/{rng.randbytes(6).hex()}?x={i}")

    noise()
    before = _series(client)
    noise()
    after = _series(client)
    assert set(after) - set(before) <= {("GET", "/metrics", "200")}  # the first look counted itself
    routes = {rule.rule for rule in app.url_map.iter_rules()} | {"unmatched"}
    assert {route for _, route, _ in after} <= routes
    assert {method for method, _, _ in after} <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert len(after) <= 5, after


def test_security_headers(app, client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/healthz", "/metrics", "/openapi.json", "/api/v1/participants", "/api/v1/nothing"):
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff", path
    admin = auth(token(app, Role.admin))
    listing = client.get("/api/v1/participants", headers=admin)
    assert listing.status_code == 200
    assert listing.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/participants").headers["Cache-Control"] == "no-store"  # errors too
    assert "Content-Security-Policy" not in listing.headers  # JSON, not a page
    page = client.get("/docs", follow_redirects=True)
    assert page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]  # scripts only by hash
    assert page.headers["X-Frame-Options"] == "DENY"


def test_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert doc["security"] == [{"bearer": []}]
    assert set(doc["paths"]["/api/v1/participants"]) == {"get", "post"}
    assert set(doc["paths"]["/api/v1/participants/{participant_id}"]) == {"get", "patch"}
    # Only the API is documented; the operations endpoints need no token.
    assert all(p.startswith("/api/v1/") for p in doc["paths"]), sorted(doc["paths"])
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("responses"), (method, path)
            for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(op)):
                assert ref in doc["components"]["schemas"], (method, path, ref)
    # The UI reads the same document.
    assert client.get("/docs/openapi.json").get_json() == doc


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)


def test_docs_ui_serves_its_own_assets(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/docs", follow_redirects=True)
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "SwaggerUIBundle" in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    page = "http://localhost" + resp.request.path
    parser = _Assets()
    parser.feed(html)
    assert len(parser.refs) >= 3, parser.refs  # css, bundle js, preset js (and the icon)
    for ref in [*parser.refs, "openapi.json"]:  # the script loads openapi.json relative to the page
        url = urlsplit(urljoin(page, ref))
        assert (url.scheme, url.netloc) == ("http", "localhost"), f"{ref} is not served by the app"
        asset = client.get(url.path)
        assert asset.status_code == 200, url.path
        assert len(asset.get_data()) > 100, url.path
    for cdn in ("unpkg.com", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html


def test_request_id_is_echoed(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz", headers={"X-Request-ID": "req-42.a:b"}).headers["X-Request-ID"] == "req-42.a:b"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    # Unreasonable ids are replaced rather than copied into every log line.
    for bad in ("x" * 200, "a b", '{"json": 1}'):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), bad
    # Errors carry it too.
    assert client.get("/api/v1/participants", headers={"X-Request-ID": "r1"}).headers["X-Request-ID"] == "r1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nik 1971015508950001 ok", "nik 1971********0001 ok"),
        ("NIK=6271015508950001,", "NIK=6271********0001,"),
        ("+6281234567890", "+62812******90"),
        ("+62 812-3456-7890", "+62812******90"),
        ("+62-812-3456-7890", "+62812******90"),
        ("6281234567890", "62812******90"),
        ("0812-3456-7890", "0812******90"),
        ("081234567890", "0812******90"),
        ("(0812) 3456 7890", "0812******90"),
        ("0812.3456.7890 called", "0812******90 called"),
        ("['1971015508950001', '+6281234567890']", "['1971********0001', '+62812******90']"),
        # Not personal data: left alone.
        ("amount 16800 for 2026-05, id 123456789", "amount 16800 for 2026-05, id 123456789"),
        ("2026-11-21T18:55:18.789160", "2026-11-21T18:55:18.789160"),
        ("Rp 628000000", "Rp 628000000"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.fixture
def captured_logs(db_url: str):  # type: ignore[no-untyped-def]
    """An app logging everything (SQL statements with their parameters too) as JSON into a buffer,
    through the handler and formatter ``configure_logging`` installed."""
    app = create_app(Settings(database_url=db_url, log_level="DEBUG", log_json=True))
    handler = logging.getLogger().handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    sql_logger = logging.getLogger("sqlalchemy.engine")
    sql_level = sql_logger.level
    sql_logger.setLevel(logging.INFO)
    try:
        yield app, buffer
    finally:
        sql_logger.setLevel(sql_level)
        if previous is not None:
            handler.setStream(previous)
        app.extensions["billing.engine"].dispose()


def test_logs_never_carry_nik_or_phone_in_clear(captured_logs) -> None:  # type: ignore[no-untyped-def]
    app, buffer = captured_logs
    nik, phone = "1971015508950001", "+62 812-3456-7890"
    client = app.test_client()
    admin = auth(token(app, Role.admin))
    body = participant_body(nik=nik, phone=phone)
    created = client.post("/api/v1/participants", json=body, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert client.post("/api/v1/participants", json=body, headers=admin).status_code == 409
    client.get(f"/api/v1/participants/{nik}", headers=admin)  # a NIK in the path is logged with the request
    # What a careless log call would leak, through both logging front ends and an exception.
    app.logger.warning("enrolled %s phone %s", nik, phone)
    structlog.get_logger("billing.test").info("enrolled", nik=nik, nik_number=int(nik), phone=phone, row=body)
    try:
        raise ValueError(f"bad participant {nik} {phone}")
    except ValueError:
        app.logger.exception("failed")

    out = buffer.getvalue()
    lines = [json.loads(line) for line in out.splitlines()]
    assert any(line.get("logger") == "sqlalchemy.engine.Engine" for line in lines), "SQL was not logged"
    assert any(line.get("event") == "request" and line.get("status") == 201 for line in lines)
    assert "1971********0001" in out  # the masked form is there: the NIK was logged, and masked
    for secret in (nik, "81234567890", "812-3456-7890", "812 3456 7890"):
        assert secret not in out, secret


def test_request_ids_are_logged_whole(captured_logs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, buffer = captured_logs
    client = app.test_client()
    # About 0.25% of random ids hold 16 digits in a row, which the NIK mask used to rewrite.
    digits = uuid.UUID("12345678-9012-3456-4abc-def012345678")
    monkeypatch.setattr("billing.observability.uuid.uuid4", lambda: digits)
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert generated == digits.hex
    # A caller's id that would be masked (a NIK, a phone number) is replaced instead of logged.
    for personal in ("1971015508950001", "req-081234567890"):
        assert client.get("/healthz", headers={"X-Request-ID": personal}).headers["X-Request-ID"] == digits.hex
    logged = [json.loads(line).get("request_id") for line in buffer.getvalue().splitlines()]
    assert logged.count(digits.hex) == 3
    assert "1971015508950001" not in buffer.getvalue()


def test_database_errors_are_logged_without_their_parameters(captured_logs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from billing.participants.models import Participant

    app, buffer = captured_logs
    client = app.test_client()
    admin = auth(token(app, Role.admin))
    name = "Rahmawati Kusumaningrum"
    first = client.post("/api/v1/participants", json=participant_body(full_name=name), headers=admin).get_json()

    def clashing(session, participant, *args, **kwargs):  # type: ignore[no-untyped-def]
        # A bug: a second row with the first one's NIK, flushed in the middle of an enrolment.
        session.add(Participant(**{**participant.model_dump(exclude={"id"}), "nik": first["nik"]}))
        session.flush()

    monkeypatch.setattr("billing.participants.service.coverage.record", clashing)
    resp = client.post("/api/v1/participants", json=participant_body(full_name=name), headers=admin)
    assert resp.status_code == 500
    errors = [json.loads(line) for line in buffer.getvalue().splitlines() if '"level": "error"' in line]
    assert len(errors) == 1 and "IntegrityError" in errors[0]["exception"]
    assert "SQL parameters hidden" in errors[0]["exception"]
    assert name not in buffer.getvalue()
